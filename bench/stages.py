"""Single measured stages, each run in its own process (peak memory = that process's maximum RSS).

    python -m bench.stages paper --database-url URL --instance DIR
    python -m bench.stages csv FILE
Prints one JSON object.
"""

import argparse
import csv
import io
import json
import resource
import sys
import time


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def paper(database_url: str, instance: str) -> dict:
    started = time.perf_counter()
    from planner import create_app

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url}, instance_path=instance)
    result: dict = {"startup_s": round(time.perf_counter() - started, 2)}
    try:
        from planner.strategy.exporters import exporter
        from planner.strategy.rollup import build_rollup
    except ImportError as error:
        return {"available": False, "reason": str(error)}
    with app.test_request_context():
        started = time.perf_counter()
        rollup = build_rollup()
        result["rollup_s"] = round(time.perf_counter() - started, 2)
        result["rollup_mb"] = _peak_mb()
        from planner.strategy.outline import is_condensed

        result["condensed"] = is_condensed(rollup)  # the PDF is the condensed print edition
        for code in ("html", "docx", "pdf"):
            started = time.perf_counter()
            try:
                buffer = io.BytesIO()
                exporter(code)(rollup, buffer)
                result[f"{code}_s"] = round(time.perf_counter() - started, 2)
                result[f"{code}_bytes"] = buffer.getbuffer().nbytes
            except Exception as error:  # noqa: BLE001 - reported in the table
                result[f"{code}_error"] = f"{type(error).__name__}: {error}"[:200]
            result[f"{code}_mb"] = _peak_mb()
    result["available"] = True
    return result


def read_csv(path: str) -> dict:
    started = time.perf_counter()
    rows = 0
    with open(path, newline="", encoding="utf-8") as fh:
        for _row in csv.reader(fh):
            rows += 1
    return {"csv_s": round(time.perf_counter() - started, 2), "rows": rows, "csv_mb": _peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=["paper", "csv"])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--database-url")
    parser.add_argument("--instance")
    args = parser.parse_args()
    out = paper(args.database_url, args.instance) if args.stage == "paper" else read_csv(args.file)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
