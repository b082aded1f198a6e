import subprocess
import sys


def test_sampling_imports_without_django():
    """sampling/ is pure statistics: importing it (and all its modules) must not pull in Django."""
    code = (
        "import pkgutil, importlib, sys, sampling\n"
        "for m in pkgutil.walk_packages(sampling.__path__, 'sampling.'): importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'django' or n.startswith(('django.', 'reviewapp')))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_public_api_is_re_exported():
    import sampling

    assert set(sampling.__all__) == set(sampling._EXPORTS)
    for name in sampling.__all__:
        assert getattr(sampling, name) is not None
    from sampling import Stratum, allocate, draw, sample_size_for_margin  # noqa: F401
