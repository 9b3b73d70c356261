"""Learner code that is broken rather than hostile: each gives a clear outcome."""

from tests.test_sandbox_support import requires_root, run

pytestmark = requires_root


def test_a_syntax_error_exits_1_with_the_error_on_stderr():
    outcome = run("def f(:\n    pass\n")
    assert outcome.exit_code == 1 and outcome.limit_hit is None
    assert "SyntaxError" in outcome.stderr
    assert "sandbox" not in outcome.stderr.split("SyntaxError")[0].lower()


def test_an_import_of_a_missing_module_exits_1_naming_it():
    outcome = run("import no_such_module_here\n")
    assert outcome.exit_code == 1
    assert "ModuleNotFoundError: No module named 'no_such_module_here'" in outcome.stderr


def test_a_file_that_is_not_utf8_exits_1_with_a_decoding_error():
    outcome = run("", files={"main.py": b"\xff\xfe x = 1\n\x80\x81"})
    assert outcome.exit_code == 1
    assert "SyntaxError" in outcome.stderr and "utf-8" in outcome.stderr


def test_sys_exit_0_in_the_middle_ends_the_job_with_code_0():
    outcome = run("import sys\nprint('before')\nsys.exit(0)\nprint('after')\n")
    assert outcome.exit_code == 0 and outcome.limit_hit is None
    assert outcome.stdout == "before\n"


def test_sys_exit_with_a_number_and_with_a_message():
    assert run("raise SystemExit(3)").exit_code == 3
    outcome = run("raise SystemExit('bye')")
    assert outcome.exit_code == 1 and outcome.stderr.strip() == "bye"


def test_an_uncaught_exception_exits_1_with_the_learners_frames_only():
    outcome = run("def f():\n    raise ValueError('boom')\nf()\n")
    assert outcome.exit_code == 1
    assert 'File "/tmp/main.py", line 2, in f' in outcome.stderr
    assert "child.py" not in outcome.stderr and "runpy" not in outcome.stderr


def test_output_that_is_not_utf8_is_decoded_with_replacement():
    outcome = run("import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe end')\n")
    assert outcome.exit_code == 0
    assert outcome.stdout == "ok \ufffd\ufffd end"


def test_a_segfault_is_reported_as_signal_11_with_a_c_traceback():
    outcome = run("import ctypes\nctypes.string_at(0)\n")
    assert outcome.exit_code is None and outcome.signal == 11
    assert "Fatal Python error" in outcome.stderr
