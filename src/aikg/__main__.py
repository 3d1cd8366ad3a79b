from aikg.cli import main

main()
