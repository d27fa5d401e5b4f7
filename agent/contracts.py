"""JSON Schemas of everything dbagent emits, generated from the pydantic models.

`python -m dbagent.contracts [DIR]` rewrites schemas/; a test fails when they drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from dbagent.evals.models import CaseChecks, EvalRun
from dbagent.lint.models import LintReport
from dbagent.recommendation import RecommendationFrontMatter
from dbagent.report.models import Report
from dbagent.result import Result

SCHEMAS: dict[str, type[BaseModel]] = {"result": Result, "report": Report,
                                       "recommendation": RecommendationFrontMatter, "lint": LintReport,
                                       "eval-checks": CaseChecks, "eval-results": EvalRun}


def render(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = directory / f"{name}.schema.json"
        path.write_text(render(model))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(p)
