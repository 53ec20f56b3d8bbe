from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.config.loader import discover, display_path, parse_file
from reconciler.config.yamlnodes import EAGER_DEPTH


def test_values_and_keys_keep_their_line_and_column(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("kind: Owner\nspec:\n  list:\n    - {name: X}\n---\nkind: Integration\n")
    documents, problems = parse_file(file)
    assert problems == []
    first, second = documents
    assert first.data == {"kind": "Owner", "spec": {"list": [{"name": "X"}]}}
    assert first.position(("spec", "list", 0, "name")) == (4, 14)
    assert first.position(("spec", "list", 0, "name"), key=True) == (4, 8)
    assert first.position(("spec", "list", 0)) == (4, 7)
    assert first.position(("spec", "missing", "deeper")) == (3, 3)  # nearest ancestor
    assert (second.index, second.data, second.position(())) == (1, {"kind": "Integration"}, (6, 1))


def test_booleans_follow_yaml_1_2_and_dates_stay_text(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text(
        "a: Yes\nb: NO\nc: true\nd: False\ne: on\nf: 2024-01-31\ng: 12\nh: 1.5\ni: ~\nj: '7'\n"
    )
    (document,), _ = parse_file(file)
    assert document.data == {
        "a": "Yes",
        "b": "NO",
        "c": True,
        "d": False,
        "e": "on",
        "f": "2024-01-31",
        "g": 12,
        "h": 1.5,
        "i": None,
        "j": "7",
    }


def test_empty_documents_are_skipped(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("# only a comment\n---\n---\nkind: Owner\n")
    documents, problems = parse_file(file)
    assert problems == []
    assert [(d.index, d.data) for d in documents] == [(1, {"kind": "Owner"})]


def test_documents_before_a_syntax_error_are_kept(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("kind: Owner\n---\nkind: [Integration\n")
    documents, problems = parse_file(file)
    assert [d.data for d in documents] == [{"kind": "Owner"}]
    assert [(p.line, p.column, p.rule) for p in problems] == [(4, 1, "yaml.syntax")]


def test_discover_walks_the_tree_sorted_and_skips_hidden_directories(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "sub/c.yaml", "sub/z/d.yaml", ".git/x.yaml", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / ".hidden.yaml").write_text("")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["a.yaml", "b.yml", "sub/c.yaml", "sub/z/d.yaml"]
    assert discover(tmp_path / "b.yml") == [tmp_path / "b.yml"]


def test_display_path_is_relative_inside_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "inside").mkdir()
    monkeypatch.chdir(tmp_path / "inside")
    assert display_path(Path("x/a.yaml")) == "x/a.yaml"
    assert display_path(tmp_path / "inside" / "b.yaml") == "b.yaml"
    assert display_path(tmp_path / "outside.yaml") == os.path.join(str(tmp_path), "outside.yaml")


def _pathlib_display_path(path: Path) -> str:
    """display_path as pathlib answers it (what it was before its string fast path)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


@pytest.mark.parametrize("where", ["/", "/tmp", "base", "base/inside"])
def test_display_path_answers_as_pathlib_does(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "base" / "inside").mkdir(parents=True)
    monkeypatch.chdir(where if where.startswith("/") else tmp_path / where)
    names = ["a.yaml", "x/../a.yaml", "./x//y.yaml", ".", "..", "/", "/tmp", "/tmp/", "//a/b",
             "x/.", "~/a", "a b/ü.yaml", str(tmp_path / "base"), str(tmp_path / "basex" / "a"),
             str(tmp_path / "base" / "inside" / "c.yml"),
             str(tmp_path) + "//base/d.yaml"]  # fmt: skip
    assert [display_path(Path(n)) for n in names] == [_pathlib_display_path(Path(n)) for n in names]


def test_deep_positions_are_read_again_from_the_text_only_when_asked(tmp_path: Path) -> None:
    """The parse keeps the positions of nodes up to EAGER_DEPTH from the root (what building
    the desired state locates); a deeper one, a diagnostic's, is parsed again from the text of
    that document (the second of its file, after an empty one) the first time it is asked."""
    file = tmp_path / "a.yaml"
    file.write_text(
        "kind: Owner\n---\n---\nkind: Integration\nspec:\n  dataFields:\n"
        "    - name: A\n      type: String\n    - {name: B, type: Numeric}\n"
    )
    (_, document), problems = parse_file(file)
    assert problems == []
    assert document.index == 2
    assert max(len(path) for path in document.positions) == EAGER_DEPTH
    held = len(document.positions)
    assert document.position(("spec", "dataFields", 1)) == (9, 7)  # held: no parse
    assert document.text is not None and len(document.positions) == held
    assert document.position(("spec", "dataFields", 1, "type"), key=True) == (9, 17)
    assert document.text is None and len(document.positions) > held
    assert document.position(("spec", "dataFields", 0, "type")) == (8, 13)
    assert document.location(("spec", "dataFields", 1, "name")).line == 9


def test_a_duplicate_key_deep_in_a_document_names_the_first(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("spec:\n  dataFields:\n    - name: A\n      type: String\n      name: B\n")
    (document,), problems = parse_file(file)
    assert [(p.line, p.column, p.path, p.message) for p in problems] == [
        (5, 7, "spec.dataFields[0].name", 'duplicate key "name" (first at line 3, column 7)')
    ]
    assert document.data == {"spec": {"dataFields": [{"name": "A", "type": "String"}]}}
