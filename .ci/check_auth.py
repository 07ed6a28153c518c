"""Fail when any HTTP verb of a jupyterlab_aml handler lacks authentication or authorization.

In the spirit of the extension-template's check_auth.py: jupyter_server itself warns about
unauthenticated verbs (and the test suite turns that warning into an error), but it does not
check `@authorized`. This reads the source, so a handler cannot slip through by never being hit.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

VERBS = {"get", "head", "post", "put", "patch", "delete", "options", "open"}
AUTHENTICATED = {"authenticated", "ws_authenticated"}
PACKAGE = Path(__file__).resolve().parent.parent / "jupyterlab_aml"


def decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Last dotted name of each decorator (`web.authenticated` -> `authenticated`)."""
    names = set()
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute):
            names.add(target.attr)
        elif isinstance(target, ast.Name):
            names.add(target.id)
    return names


def is_handler(cls: ast.ClassDef) -> bool:
    """Classes whose bases look like tornado/jupyter handlers."""
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name.endswith("Handler"):
            return True
    return False


def main() -> int:
    """Print every offending verb and return non-zero if there is one."""
    problems, checked = [], 0
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and is_handler(n)):
            for fn in cls.body:
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if fn.name not in VERBS:
                    continue
                checked += 1
                names = decorator_names(fn)
                where = f"{path.relative_to(PACKAGE.parent)}:{fn.lineno} {cls.name}.{fn.name}"
                if not names & AUTHENTICATED:
                    problems.append(f"{where}: missing @web.authenticated / @ws_authenticated")
                if "authorized" not in names:
                    problems.append(f"{where}: missing @authorized")
    for problem in problems:
        print(problem)
    print(f"check_auth: {checked} handler verbs checked, {len(problems)} problems")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
