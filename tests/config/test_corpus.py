"""The invalid-config corpus: one directory per rule and kind of mistake.

Each ``corpus/<case>/`` holds the YAML files of the case and ``expected.txt``: every diagnostic
the validator must report, in order, as ``file:line:col: severity: path: message  [rule]``.
The files of ``corpus/_base/`` (one valid owner and integration) are added to every case, so a
case can refer to them. ``flags.txt`` holds CLI flags (``--allow-literal-secrets``). A case that
declares environments has its overlays in ``environments/NAME/`` and is validated in each, as
``reconciler validate`` does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config import RULES, validate_config, validate_environments

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "_base")


def _materialise(case: str, target: Path) -> bool:
    for source in (CORPUS / "_base", CORPUS / case):
        for file in source.iterdir():
            if file.is_dir():
                shutil.copytree(file, target / file.name)
            elif file.name not in ("expected.txt", "flags.txt"):
                shutil.copy(file, target / file.name)
    flags = CORPUS / case / "flags.txt"
    return flags.exists() and "--allow-literal-secrets" in flags.read_text()


def _expected(case: str) -> list[str]:
    return (CORPUS / case / "expected.txt").read_text(encoding="utf-8").splitlines()


def test_the_base_of_every_case_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for file in (CORPUS / "_base").iterdir():
        shutil.copy(file, tmp_path / file.name)
    monkeypatch.chdir(tmp_path)
    validation = validate_config(Path("."))
    assert validation.diagnostics == ()
    assert (
        validation.summary()
        == ".: 1 owner, 1 integration, 0 mappings: valid (0 errors, 0 warnings)"
    )


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    allow_literal_secrets = _materialise(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    validation = validate_environments(Path("."), allow_literal_secrets=allow_literal_secrets)
    actual = [f"{d}  [{d.rule}]" for d in validation.diagnostics]
    assert actual == _expected(case)


def test_the_corpus_is_large_and_every_case_reports_something() -> None:
    assert len(CASES) >= 40
    assert [case for case in CASES if not _expected(case)] == []


def test_every_rule_has_a_corpus_case() -> None:
    covered = {line.rsplit("[", 1)[1].rstrip("]") for case in CASES for line in _expected(case)}
    assert sorted(set(RULES) - covered) == []
    assert sorted(covered - set(RULES)) == []


def test_a_literal_secret_is_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for case, secret in (
        ("secret-literal", "hunter2hunter2"),
        ("secret-literal-oauth", "s3cr3t"),
        ("settings-literal-secret", "topsecret"),
        ("password-length-literal", "short"),
        ("settings-state", ":pw@"),
        ("settings-url-credentials", ":pw@"),
    ):
        target = tmp_path / case
        target.mkdir()
        allow = _materialise(case, target)
        monkeypatch.chdir(target)
        validation = validate_config(Path("."), allow_literal_secrets=allow)
        assert validation.diagnostics
        assert all(secret not in str(d) for d in validation.diagnostics), case
