"""Typed settings: defaults, AIKG_* variables, overrides; unknown keys and misspelt variables are refused."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import TINY

from aikg.cli import cli
from aikg.config import Settings, load_config
from aikg.errors import InvalidSetting
from aikg.web.app import create_app


def test_defaults_then_environment_then_overrides():
    settings = load_config({"MAX_ROWS": 7}, environ={"AIKG_MAX_ROWS": "5", "AIKG_QUERY_TIMEOUT": "2.5", "PATH": "/x"})
    assert settings.max_rows == 7 and settings.query_timeout == 2.5
    assert settings.cache_max_age == Settings().cache_max_age
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_rows = 1  # type: ignore[misc]


def test_every_key_is_a_field_with_a_typed_default():
    defaults = Settings()
    for key in Settings.known_keys():
        assert hasattr(defaults, key.lower())
    assert load_config(environ={}) == defaults


@pytest.mark.parametrize(
    ("environ", "nearest"),
    [({"AIKG_QUERY_TIMOUT": "5"}, "AIKG_QUERY_TIMEOUT"), ({"AIKG_MAXROWS": "5"}, "AIKG_MAX_ROWS"),
     ({"AIKG_DATAS": "a.ttl"}, "AIKG_DATA")],
)
def test_a_misspelt_variable_is_refused_naming_the_nearest(environ, nearest):
    with pytest.raises(InvalidSetting) as caught:
        load_config(environ=environ)
    name = next(iter(environ))
    assert f"{name} is not a setting of aikg; did you mean {nearest}?" in caught.value.message
    assert caught.value.details == {"setting": name, "nearest": nearest}


def test_an_unknown_key_is_refused_naming_the_nearest():
    with pytest.raises(InvalidSetting, match="CACHE_MAXAGE is not a setting of aikg; did you mean CACHE_MAX_AGE"):
        Settings().with_overrides({"CACHE_MAXAGE": 5})
    with pytest.raises(InvalidSetting, match="did you mean QUERY_TIMEOUT"):
        create_app({"DATA": [str(TINY)], "QUERY_TIMOUT": 1.0})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("MAX_ROWS", "lots", "MAX_ROWS must be a whole number"), ("VALIDATE", "maybe", "VALIDATE must be true or false"),
     ("QUERY_TIMEOUT", "soon", "QUERY_TIMEOUT must be a number"), ("MAX_ROWS", 2.5, "MAX_ROWS must be a whole number"),
     ("TITLE", None, "TITLE needs a value")],
)
def test_a_value_of_the_wrong_type_is_refused(key, value, message):
    with pytest.raises(InvalidSetting, match=message):
        Settings().with_overrides({key: value})


def test_values_are_converted_to_the_settings_types():
    s = load_config({"DATA": ["a.ttl", "b.ttl"], "QUERY_TIMEOUT": 3},
                    environ={"AIKG_SHAPES": "s1.ttl:s2.ttl", "AIKG_VALIDATE": "off", "AIKG_ENDPOINT": ""})
    assert s.data == ("a.ttl", "b.ttl") and s.shapes == ("s1.ttl", "s2.ttl")
    assert s.validate is False and s.endpoint is None
    assert s.query_timeout == 3.0 and isinstance(s.query_timeout, float)


def test_flask_keys_go_to_app_config_and_the_rest_to_the_settings():
    app = create_app({"DATA": [str(TINY)], "VALIDATE": False, "TESTING": True, "MAX_ROWS": 3})
    assert app.config["TESTING"] is True and "MAX_ROWS" not in app.config
    assert app.extensions["aikg.settings"].max_rows == 3
    assert app.test_client().get("/sparql?query=SELECT+*+WHERE+%7B%3Fs+%3Fp+%3Fo%7D").headers["X-SPARQL-MaxRows"] == "3"


def test_the_cli_refuses_a_misspelt_variable(runner):
    result = runner.invoke(cli, ["ask", "--help"], env={"AIKG_QUERY_TIMOUT": "5"})
    assert result.exit_code == 0  # help reads no settings
    result = runner.invoke(cli, ["query", "ASK {}"], env={"AIKG_QUERY_TIMEOUT": "5", "AIKG_QUERY_TIMOUTT": "5"})
    assert result.exit_code == 2
    assert "AIKG_QUERY_TIMOUTT is not a setting of aikg; did you mean AIKG_QUERY_TIMEOUT?" in result.output
