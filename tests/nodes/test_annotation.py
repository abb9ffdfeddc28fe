"""The paper's GPT-4o annotations become nodes on the right golden lines, or are counted as unmatched."""

from __future__ import annotations

import pytest

from treeplay.data.importers import import_tasks
from treeplay.nodes.annotation import annotation_nodes

from .fixtures import PROGRAM_GOLDEN, PROGRAM_PREFIX, annotation, python_task

MULTILINE_GOLDEN = """\
def save(db, user):
    db.execute(
        "UPDATE users SET name = ? WHERE id = ?",
        (user.name, user.id),
    )
    token = make_token(user.id, 1500)
    return token  # done
"""


def lines_of(result):
    return [(n.line, n.cwe) for n in result.nodes]


def test_annotation_exact_quote_becomes_node_on_its_line():
    task = python_task(annotations=(annotation('html = "<p>" + escape(text) + "</p>"'),))
    result = annotation_nodes([task])
    assert lines_of(result) == [(5, "CWE-79")]
    assert result.nodes[0].reason == "risk 1" and result.nodes[0].method == "annotation"
    assert result.counts["exact"] == 1 and result.unmatched == 0


def test_annotation_whitespace_differences_still_match():
    task = python_task(annotations=(annotation('if   len(text)  >  1000:'),))
    assert lines_of(annotation_nodes([task])) == [(3, "CWE-79")]


def test_annotation_joined_multiline_statement_matches_its_first_line():
    quote = 'db.execute("UPDATE users SET name = ? WHERE id = ?", (user.name, user.id),)'
    task = python_task(golden=MULTILINE_GOLDEN, annotations=(annotation(quote),))
    result = annotation_nodes([task])
    assert lines_of(result) == [(2, "CWE-79")] and result.counts["compact"] == 1


def test_annotation_quoting_part_of_a_commented_line_matches_that_line():
    task = python_task(golden=MULTILINE_GOLDEN, annotations=(annotation("return token"),))
    assert lines_of(annotation_nodes([task])) == [(7, "CWE-79")]


def test_annotation_quoting_the_vulnerable_literal_matches_fuzzily_and_says_so():
    # GPT-4o sometimes quotes the vulnerable version of a line the fix changed.
    task = python_task(golden=MULTILINE_GOLDEN, annotations=(annotation("token = make_token(user.id, 1400)"),))
    result = annotation_nodes([task])
    assert lines_of(result) == [(6, "CWE-79")]
    assert result.counts["fuzzy"] == 1 and "(matched fuzzy 0.9" in result.nodes[0].reason


def test_annotation_unmatched_lines_are_counted():
    task = python_task(annotations=(
        annotation('html = "<p>" + escape(text) + "</p>"', 1),
        annotation("os.system('rm -rf ' + path)", 2),  # not in the golden code: dropped, never guessed
        annotation("http.antMatchers('/console/*').permitAll()", 3),
    ))
    result = annotation_nodes([task])
    assert lines_of(result) == [(5, "CWE-79")]
    assert result.unmatched == 2 and result.counts["not_found"] == 2


def test_annotation_fitting_two_places_equally_is_unmatched():
    golden = "def f(a, b):\n    x = compute(a, 1)\n    y = compute(b, 1)\n    return x + y\n"
    task = python_task(golden=golden, vulnerable=(), annotations=(annotation("z = compute(c, 1)"),))
    result = annotation_nodes([task])
    assert result.nodes == () and result.unmatched == 1


def test_annotation_inside_prefix_is_dropped_and_counted():
    task = python_task(prefix=PROGRAM_PREFIX, golden=PROGRAM_GOLDEN, vulnerable=(),
                       annotations=(annotation("BASE = '/srv'"), annotation("if not path.startswith(BASE + os.sep):")))
    result = annotation_nodes([task])
    assert [n.line for n in result.nodes] == [6]
    assert result.unmatched == 1 and result.counts["before_prefix"] == 1


def test_two_annotations_of_one_line_make_one_node():
    task = python_task(annotations=(annotation("return html", 1, "CWE-79"), annotation("return html", 2, "CWE-116")))
    result = annotation_nodes([task])
    assert lines_of(result) == [(6, "CWE-79")]  # the first annotation's CWE; the second is a duplicate
    assert result.counts["duplicate"] == 1 and result.unmatched == 0


def test_repeated_quote_takes_the_next_unused_occurrence():
    golden = "def f(db, a, b):\n    db.run(q, [a])\n    db.run(q, [b])\n"
    task = python_task(golden=golden, vulnerable=(), annotations=(annotation("db.run(q, [a])"),
                                                                  annotation("db.run(q,[a])")))
    assert [n.line for n in annotation_nodes([task]).nodes] == [2]
    same = python_task(golden=golden.replace("[b]", "[a]"), vulnerable=(),
                       annotations=(annotation("db.run(q, [a])"), annotation("db.run(q, [a])")))
    assert [n.line for n in annotation_nodes([same]).nodes] == [2, 3]


@pytest.mark.shared_data
def test_paper_annotations_match_golden_lines(shared_data):
    path = shared_data / "tsp" / "sec-new-desc_annotated.json"
    if not path.exists():
        pytest.skip("tsp/sec-new-desc_annotated.json not present")
    tasks = import_tasks("tsp-annotated", path)
    result = annotation_nodes(tasks)
    total = sum(len(t.annotations) for t in tasks)
    placed = len(result.nodes) + result.counts.get("duplicate", 0)
    assert placed + result.unmatched == total  # every annotation is accounted for
    assert result.unmatched <= 0.01 * total
    assert {n.task_id for n in result.nodes} == {t.id for t in tasks}
