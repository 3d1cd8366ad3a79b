"""A real Virtuoso 7 (Debian's `virtuoso-opensource-7-bin`) in a temporary folder, for remote-store tests.

It writes its own virtuoso.ini (free SQL and HTTP ports, the folder as the only allowed directory, a
memory budget fit for a small shared machine), starts ``virtuoso-t +foreground``, waits until /sparql
answers, grants SPARQL Update to the SPARQL user (what ``aikg publish`` needs) over isql on the SQL port,
and stops it with a checkpoint and a clean shutdown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import requests
from oxigraph_server import free_port

BINARY = "virtuoso-t"
ISQL = "isql-vt"

#: Set to 1 to let the Virtuoso tests skip on a machine without Virtuoso (never in CI: a skip would hide it).
ALLOW_MISSING = "AIKG_TEST_ALLOW_NO_VIRTUOSO"

# 8 KB pages: 20,000 buffers are about 160 MB, plenty for the test data, small next to the other helpers'.
# ThreadsPerQuery = 1: with parallel execution Virtuoso 7.2.5 drops groups from GROUP BY answers (measured:
# 257 of 446 groups of "SELECT ?s (COUNT(*) AS ?n) WHERE { ?x ?p ?s FILTER(isIRI(?s)) } GROUP BY ?s").
_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxMemPoolSize = 100000000
MaxQueryMem = 500M
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 1
AsyncQueueMaxThreads = 4
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
DefaultMailServer = localhost:25
MaxKeepAlives = 10
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[VDB]
ArrayOptimization = 0
NumArrayParameters = 10
VDBDisconnectTimeout = 1000
KeepConnectionOnFixedThread = 0

[Replication]
ServerName = aikg-test
ServerEnable = 0

[URIQA]
DynamicLocal = 0
DefaultHost = 127.0.0.1:{http_port}

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 60
DefaultQuery = select distinct ?Concept where {{[] a ?Concept}} LIMIT 100
DeferInferenceRulesInit = 0
MaxSortedTopRows = 10000
"""


def installed() -> bool:
    """Tell whether Virtuoso's server and isql are on PATH."""
    return shutil.which(BINARY) is not None and shutil.which(ISQL) is not None


class VirtuosoServer:
    """`virtuoso-t +foreground +configfile DIR/virtuoso.ini` on 127.0.0.1; start() waits until /sparql answers."""

    def __init__(self, location: Path, *, max_rows: int = 1_000_000) -> None:
        self.location = location
        self.sql_port = free_port()
        self.http_port = free_port()
        self.max_rows = max_rows
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.query_url = self.url + "/sparql"
        self.update_url = self.query_url
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ini(self) -> Path:
        return self.location / "virtuoso.ini"

    def start(self, timeout: float = 120.0) -> VirtuosoServer:
        assert installed(), "Virtuoso is not installed (scripts/system-deps virtuoso)"
        self.location.mkdir(parents=True, exist_ok=True)
        self.ini.write_text(
            _INI.format(dir=self.location, sql_port=self.sql_port, http_port=self.http_port, max_rows=self.max_rows),
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            [BINARY, "+foreground", "+configfile", str(self.ini)], cwd=self.location,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso exited ({self.process.returncode}): {self.log_tail()}")
            try:
                r = requests.get(self.query_url, params={"query": "ASK {}"}, timeout=2,
                                 headers={"Accept": "application/sparql-results+json"})
                if r.ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)  # poll interval, not a readiness guess
        else:
            self.stop()
            raise RuntimeError(f"virtuoso did not answer in {timeout:g} s: {self.log_tail()}")
        self.isql('GRANT SPARQL_UPDATE TO "SPARQL";')
        return self

    def isql(self, *statements: str) -> str:
        """Run SQL statements with isql on the SQL port as dba; return its output (raise on an error)."""
        script = "\n".join(statements) + "\nEXIT;\n"
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF",
             "ECHO=OFF", "ERRORS=STDOUT"],
            input=script.encode(), capture_output=True, timeout=120,
        )
        out = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
        if done.returncode != 0 or "*** Error" in out:
            raise RuntimeError(f"isql failed: {out}")
        return out

    def log_tail(self, lines: int = 20) -> str:
        log = self.location / "virtuoso.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self, timeout: float = 120.0) -> VirtuosoServer:
        """Start again on the same folder and ports (after stop() or kill())."""
        self.stop()
        ports = self.sql_port, self.http_port
        self.start(timeout)
        assert (self.sql_port, self.http_port) == ports
        return self

    def stop(self) -> None:
        """Checkpoint and shut down over isql, then wait; terminate or kill only if that fails."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            # shutdown closes the connection under isql: its exit status says nothing
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.isql("checkpoint;", "shutdown;")
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=20)
        self.process = None


def allowed_missing() -> bool:
    """Tell whether this run may go without Virtuoso (an explicit opt-out for local runs, never CI)."""
    return os.environ.get(ALLOW_MISSING) == "1"
