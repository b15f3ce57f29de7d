"""Configuration: defaults, workspace files, overrides and clear errors."""

from __future__ import annotations

import pytest

from codesift.config import Config, config_from_dict, load_config
from codesift.errors import ConfigError


def test_defaults_without_any_file(tmp_path):
    config = load_config(tmp_path)
    assert config == Config()
    assert (config.retrieve.weights.keyword, config.retrieve.weights.ast,
            config.retrieve.weights.regex) == (0.5, 0.3, 0.2)
    assert config.retrieve.pool_size == 100 and config.scan.max_file_bytes == 1_048_576


def test_pyproject_section_and_overrides(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n[tool.codesift.retrieve]\npool_size = 50\n"
        "[tool.codesift.scan]\nexclude_dirs = ['vendor']\n")
    config = load_config(tmp_path, {"retrieve": {"weights": {"regex": 0.4}}})
    assert config.retrieve.pool_size == 50
    assert config.retrieve.weights.regex == 0.4 and config.retrieve.weights.keyword == 0.5
    assert config.scan.exclude_dirs == ["vendor"]


def test_codesift_toml_wins_over_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.codesift.retrieve]\npool_size = 50\n")
    (tmp_path / "codesift.toml").write_text("[retrieve]\npool_size = 70\n")
    assert load_config(tmp_path).retrieve.pool_size == 70


@pytest.mark.parametrize("data,needle", [
    ({"retrieve": {"pool_sise": 3}}, "'retrieve.pool_sise'"),
    ({"bogus": 1}, "'bogus'"),
    ({"retrieve": {"weights": {"keyword": "high"}}}, "'retrieve.weights.keyword'"),
    ({"scan": {"exclude_dirs": "node_modules"}}, "'scan.exclude_dirs'"),
    ({"index": 3}, "'index' must be a table"),
    ({"rerank": {"heavy_fusion": "linear"}}, "should be one of 'learned', 'rank'"),
])
def test_unknown_keys_and_wrong_types_name_the_key(data, needle):
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(").replace("'", "'")):
        config_from_dict(data, "codesift.toml")


def test_malformed_toml_is_a_config_error(tmp_path):
    (tmp_path / "codesift.toml").write_text("[retrieve\n")
    with pytest.raises(ConfigError, match="codesift.toml"):
        load_config(tmp_path)
