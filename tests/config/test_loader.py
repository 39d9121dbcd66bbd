from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import load_settings, settings_from_mapping
from app.errors import ConfigError
from tests.support import ROOT, config_dict, run_cli, write_config


def error_for(data: dict[str, Any], env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data, env or {})
    return str(caught.value)


def test_shipped_config_loads_with_feedback_on() -> None:
    settings = load_settings(ROOT / "shared_config.yaml", env={})
    assert settings.session_service.database_url == "sqlite:///webui-gateway.db"
    assert settings.app.app_config.agent.type == "echo"
    assert settings.feedback.enabled is True


def test_settings_are_frozen() -> None:
    settings = settings_from_mapping(config_dict(database_url="sqlite:///x.db"), {})
    with pytest.raises(Exception, match="frozen"):
        settings.app.app_config.frontend_collect_feedback = False  # type: ignore[misc]


def test_env_substitution_with_and_without_default() -> None:
    data = config_dict(database_url="${DB_URL, sqlite:///fallback.db}")
    data["apps"][0]["name"] = "app-${REGION}-${MISSING, x}"
    settings = settings_from_mapping(data, {"REGION": "eu"})
    assert settings.session_service.database_url == "sqlite:///fallback.db"
    assert settings.app.name == "app-eu-x"
    set_env = settings_from_mapping(data, {"REGION": "eu", "DB_URL": "postgresql://db/fw"})
    assert set_env.session_service.database_url == "postgresql://db/fw"


def test_substituted_strings_are_cast_to_the_field_type() -> None:
    data = config_dict(database_url="sqlite:///x.db", collect="${COLLECT, true}")  # type: ignore[arg-type]
    assert settings_from_mapping(data, {}).feedback.enabled is True
    assert settings_from_mapping(data, {"COLLECT": "false"}).feedback.enabled is False


def test_unset_variable_without_default_names_variable_and_path() -> None:
    data = config_dict(database_url="${WEB_UI_GATEWAY_DATABASE_URL}")
    message = error_for(data)
    assert message == (
        "services.session_service.database_url: environment variable "
        "WEB_UI_GATEWAY_DATABASE_URL is not set and has no default"
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["apps"][0]["app_config"].update(colect_feedback=True),
            "apps[0].app_config.colect_feedback: unknown key (value True)",
        ),
        (
            lambda d: d["apps"][0]["app_config"].update(frontend_collect_feedback="maybe"),
            "apps[0].app_config.frontend_collect_feedback: Input should be a valid boolean, "
            "unable to interpret input (got 'maybe')",
        ),
        (
            lambda d: d["services"]["session_service"].update(type="redis"),
            "services.session_service.type: Input should be 'sql' or 'memory' (got 'redis')",
        ),
        (
            lambda d: d["services"]["session_service"].update(default_behavior="FOREVER"),
            "services.session_service.default_behavior: Input should be 'PERSISTENT' or "
            "'RUN_BASED' (got 'FOREVER')",
        ),
        (
            lambda d: d["apps"][0]["app_config"]["agent"].update(type="gpt"),
            "apps[0].app_config.agent.type: must be one of echo, openai, a2a, agui (got 'gpt')",
        ),
        (
            lambda d: d["apps"][0]["app_config"].update(agent={"type": "openai", "model": "m"}),
            "apps[0].app_config.agent.base_url: required key is missing",
        ),
        (
            lambda d: d["apps"][0]["app_config"].update(
                agent={"type": "openai", "base_url": "localhost:8080/v1", "model": "m"}
            ),
            "apps[0].app_config.agent.base_url: must be an http:// or https:// URL "
            "(got 'localhost:8080/v1')",
        ),
        (
            lambda d: d["apps"][0]["app_config"].update(
                agent={"type": "openai", "base_url": "http://x/v1", "model": "m", "top_p": 1}
            ),
            "apps[0].app_config.agent.top_p: unknown key (value 1)",
        ),
        (
            lambda d: d["apps"][0]["app_config"].update(
                agent={"type": "a2a", "url": "http://x", "headers": {"X-Key": 5}}
            ),
            "apps[0].app_config.agent.headers.X-Key: Input should be a valid string (got 5)",
        ),
        (
            lambda d: d["apps"][0]["app_config"].update(
                agent={"type": "agui", "url": "http://x", "timeout_seconds": 0}
            ),
            "apps[0].app_config.agent.timeout_seconds: Input should be greater than 0 (got 0)",
        ),
        (
            lambda d: d["services"]["session_service"].update(database_url="mysql://x/y"),
            "services.session_service.database_url: must be a sqlite:/// or postgresql:// URL "
            "(got 'mysql://x/y')",
        ),
        (
            lambda d: d["apps"][0]["app_config"]["sse"].update(ping_seconds=0),
            "apps[0].app_config.sse.ping_seconds: Input should be greater than 0 (got 0)",
        ),
        (
            lambda d: d["apps"][0]["app_config"]["sse"].update(key_prefix=""),
            "apps[0].app_config.sse.key_prefix: String should have at least 1 character (got '')",
        ),
        # keys several agent types share are declared once, with their bounds
        (
            lambda d: d["apps"][0]["app_config"].update(
                agent={"type": "openai", "base_url": "http://x/v1", "model": "m", "name": ""}
            ),
            "apps[0].app_config.agent.name: String should have at least 1 character (got '')",
        ),
        (
            lambda d: d["apps"][0]["app_config"].update(
                agent={"type": "agui", "url": "http://x", "history_turns": 201}
            ),
            "apps[0].app_config.agent.history_turns: Input should be less than or equal to 200 "
            "(got 201)",
        ),
        (lambda d: d.update(apps=[]), "apps: exactly one app is required (got 0)"),
        (lambda d: d.pop("apps"), "apps: required key is missing"),
    ],
)
def test_bad_values_name_the_key_path_and_value(mutate: Any, expected: str) -> None:
    data = config_dict(database_url="sqlite:///x.db", sse={"ping_seconds": 15})
    mutate(data)
    assert error_for(data).startswith(expected)


def test_sql_service_needs_a_database_url() -> None:
    assert error_for(config_dict()) == (
        "services.session_service.database_url: required when type is 'sql'"
    )


def test_app_session_service_overrides_the_shared_one() -> None:
    data = config_dict(database_url="sqlite:///shared.db")
    data["apps"][0]["app_config"]["session_service"] = {"type": "memory"}
    settings = settings_from_mapping(data, {})
    assert settings.session_service.type == "memory"
    assert settings.feedback.enabled is False
    assert settings.feedback.persistence_enabled is False


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yaml", config_dict(database_url="sqlite:///env.db"))
    settings = load_settings(None, env={"FEEDBACK_WIDGET_CONFIG": str(path)})
    assert settings.session_service.database_url == "sqlite:///env.db"


def test_unreadable_and_invalid_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "missing.yaml", env={})
    broken = tmp_path / "broken.yaml"
    broken.write_text("apps: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_settings(broken, env={})


def test_cli_reports_config_errors_in_one_line_with_exit_code_2(tmp_path: Path) -> None:
    data = config_dict(database_url="sqlite:///x.db")
    data["apps"][0]["app_config"]["agent"]["type"] = "gpt"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    for command in ("serve", "migrate"):
        result = run_cli(command, "--config", str(path))
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            "feedback-widget: config error: apps[0].app_config.agent.type: "
            "must be one of echo, openai, a2a, agui (got 'gpt')"
        ]
        assert "Traceback" not in result.stderr


def test_cli_uses_the_config_environment_variable(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yaml", config_dict(database_url="${NOPE_NOT_SET}"))
    result = run_cli("migrate", env={"FEEDBACK_WIDGET_CONFIG": str(path)})
    assert result.returncode == 2
    assert "NOPE_NOT_SET is not set" in result.stderr


@pytest.mark.parametrize(
    ("publishing", "expected"),
    [
        (
            {"enabled": True, "include_task_info": "full", "broker": {}},
            "apps[0].app_config.feedback_publishing.include_task_info: Input should be 'none', "
            "'summary' or 'stim' (got 'full')",
        ),
        (
            {"enabled": True, "broker": {"url": "amqp://x"}},
            "apps[0].app_config.feedback_publishing.broker.url: must be an mqtt:// or mqtts:// URL "
            "(got 'amqp://x')",
        ),
        (
            {"enabled": True, "webhooks": [{"url": "https://h/x"}]},
            "apps[0].app_config.feedback_publishing.webhooks[0].secret: required key is missing",
        ),
        (
            {"enabled": True},
            "apps[0].app_config.feedback_publishing: enabled, but neither broker nor "
            "webhooks is set",
        ),
    ],
)
def test_publishing_config_errors_name_the_key_path(
    publishing: dict[str, Any], expected: str
) -> None:
    data = config_dict(database_url="sqlite:///x.db", feedback_publishing=publishing)
    assert error_for(data) == expected


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        (
            [{"name": "a", "negative_share_above": 0.5, "window_minutes": 5,
              "webhook_url": "https://h/x"}] * 2,
            "apps[0].app_config.alerts: alert 'a' is declared more than once: its name keys "
            "its state",
        ),
        (
            [{"name": "a", "negative_share_above": 1.5, "window_minutes": 5,
              "webhook_url": "https://h/x"}],
            "apps[0].app_config.alerts[0].negative_share_above: Input should be less than or "
            "equal to 1 (got 1.5)",
        ),
        (
            [{"name": "a", "negative_share_above": 0.5, "window_minutes": 5,
              "webhook_url": "hooks.slack.com/x"}],
            "apps[0].app_config.alerts[0].webhook_url: must be an http:// or https:// URL "
            "(got 'hooks.slack.com/x')",
        ),
    ],
)  # fmt: skip
def test_alert_config_errors_name_the_key_path(alerts: list[Any], expected: str) -> None:
    data = config_dict(database_url="sqlite:///x.db", alerts=alerts)
    assert error_for(data).startswith(expected)
