"""The README's quick start runs as written."""

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_quick_start_runs(capsys):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.DOTALL).group(1)
    exec(compile(code, str(README), "exec"), {})
    best_params, score = capsys.readouterr().out.rsplit("} ", 1)
    assert "window" in best_params
    assert float(score) > 0.3
