"""Issue 8, attack: the Python loop moved out of ``iou_matrix`` into a helper it calls. On
main's code the static check read only iou_matrix's own body, so such a solution scored 1.0
(measured). Now the check follows every function, method, lambda, alias and decorator that
iou_matrix can reach in the module, and code it cannot read (exec, globals(), setattr) does not
pass: the honest score is 13/14 (all values right, "Vectorised" failed), with a verdict that
names the helper and its line."""

import textwrap

import pytest

from grading.engine import grade_source
from labs.catalog import load_lab
from labs.grader_api import Source
from tests.iou_sources import CORRECT_IOU, VECTOR_IOU

HELPER_FUNCTION = (
    CORRECT_IOU
    + VECTOR_IOU
    + textwrap.dedent(
        """
    def _rows(a, b):
        rows = []
        for i in range(a.shape[0]):  # a Python loop, one row at a time
            rows.append(_vector_iou(a[i : i + 1], b)[0])
        return torch.stack(rows) if rows else torch.zeros(0, b.shape[0])


    def iou_matrix(a, b):
        return _rows(a, b)
    """
    )
)

HELPER_METHOD = (
    CORRECT_IOU
    + VECTOR_IOU
    + textwrap.dedent(
        """
    class _Pairwise:
        def __init__(self, b):
            self.b = b

        def rows(self, a):
            return torch.stack([_vector_iou(a[i : i + 1], self.b)[0] for i in range(len(a))])


    def iou_matrix(a, b):
        return _Pairwise(b).rows(a)
    """
    )
)

# Every way of hiding iteration that the source check must see; each is a whole module.
HIDDEN_LOOPS = {
    "helper_function": (HELPER_FUNCTION, "for"),
    "method_of_a_helper_class": (HELPER_METHOD, "comprehension"),
    "lambda_alias": (
        VECTOR_IOU + "\n_impl = lambda a, b: torch.stack([_vector_iou(r[None], b)[0] for r in a])"
        "\niou_matrix = _impl\n",
        "comprehension",
    ),
    "decorator": (
        VECTOR_IOU
        + textwrap.dedent(
            """
            def rowwise(function):
                def wrapper(a, b):
                    return torch.stack([function(row[None], b)[0] for row in a])
                return wrapper

            @rowwise
            def iou_matrix(a, b):
                return _vector_iou(a, b)
            """
        ),
        "comprehension",
    ),
    "recursion": (
        VECTOR_IOU
        + textwrap.dedent(
            """
            def iou_matrix(a, b):
                if len(a) <= 1:
                    return _vector_iou(a, b)
                return torch.cat([iou_matrix(a[:1], b), iou_matrix(a[1:], b)])
            """
        ),
        "recursion",
    ),
    "map": (
        VECTOR_IOU + "\ndef iou_matrix(a, b):\n    return torch.stack(list(map(lambda r: "
        "_vector_iou(r[None], b)[0], a)))\n",
        "map()",
    ),
    "exec": (
        VECTOR_IOU
        + "\nexec('def iou_matrix(a, b):\\n    return torch.stack([_vector_iou(r[None], b)[0]"
        " for r in a])')\n",
        "exec",
    ),
    "globals": (
        VECTOR_IOU + "\ndef iou_matrix(a, b):\n    return _vector_iou(a, b)\n"
        "globals()['iou_matrix'] = lambda a, b: None\n",
        "globals",
    ),
    "a_module_written_at_run_time": (
        VECTOR_IOU
        + "\nwith open('rows_helper.py', 'w') as f:\n    f.write('def rows(a, b): ...')\n"
        "from rows_helper import rows as iou_matrix\n",
        "import rows_helper",
    ),
    "setattr_on_the_module": (
        VECTOR_IOU + "\nimport sys\ndef iou_matrix(a, b):\n    return _vector_iou(a, b)\n"
        "setattr(sys.modules[__name__], 'iou_matrix', iou_matrix)\n",
        "setattr",
    ),
}


@pytest.mark.parametrize("name", sorted(HIDDEN_LOOPS))
def test_the_source_check_finds_iteration_however_it_is_hidden(name):
    source, what = HIDDEN_LOOPS[name]
    findings = Source(source).python_loops("iou_matrix")
    assert what in {finding.what for finding in findings}


def test_the_source_check_passes_a_vectorised_solution_with_helpers():
    source = (
        "import math\nimport numpy as np\nfrom torch import nn\n"
        + VECTOR_IOU
        + "\ndef iou_matrix(a, b):\n    return _vector_iou(a, b)\n"
    )
    assert Source(source).python_loops("iou_matrix") == []


@pytest.mark.integration
@pytest.mark.parametrize(("source", "helper"), [(HELPER_FUNCTION, "_rows"),
                                                (HELPER_METHOD, "_Pairwise.rows")])  # fmt: skip
def test_a_loop_moved_into_a_helper_fails_vectorised_and_only_that(source, helper):
    result = grade_source(load_lab("dl-07-iou"), source, seed=7)
    failed = {test.name: test for test in result.tests if not test.passed}
    assert set(failed) == {"vectorised"}
    assert helper in failed["vectorised"].message
    assert result.score == pytest.approx(13 / 14, abs=1e-4)
