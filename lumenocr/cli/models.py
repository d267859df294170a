"""``lumenocr models``: list the model zoo; ``lumenocr models verify``: check installed model files.

Zoo models are ONNX files shipped inside PyPI packages; a model is installed when its
packages are. ``verify`` recomputes the SHA-256 of every installed model file and exits 1 when
one does not match the registry (a corrupt or different file) or is missing from its package.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "models",
        help="list zoo models, or verify installed model files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "action", nargs="?", choices=("list", "verify"), default="list", help="list (default) or verify"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _files(spec) -> list:
    """Every file a model needs (detector, recognizer, its dictionary, direction classifier)."""
    if not hasattr(spec, "det"):  # a document model: one file
        return [spec.file]
    refs = [spec.det.file, spec.rec.file, spec.cls.file]
    if spec.rec.dictionary is not None:
        refs.append(spec.rec.dictionary)
    return refs


def _specs() -> list:
    from lumenocr.zoo import MODELS
    from lumenocr.zoo.documents import DOC_MODELS

    ocr = list({s.name: s for s in MODELS.values()}.values())  # aliases point at the same spec
    return ocr + list(DOC_MODELS.values())


def model_status(spec) -> tuple[bool, str]:
    """(installed, what to do if not): a model is installed when all its files are present."""
    from lumenocr.errors import ModelNotFoundError
    from lumenocr.zoo import locate

    for ref in _files(spec):
        try:
            locate(ref, verify=False)
        except ModelNotFoundError:
            return False, ref.hint()
    return True, ""


def _list(as_json: bool) -> int:
    from lumenocr.zoo import DEFAULT_MODEL

    rows = []
    for spec in _specs():
        installed, hint = model_status(spec)
        rows.append(
            {
                "name": spec.name,
                "aliases": list(spec.aliases),
                "default": spec.name == DEFAULT_MODEL,
                "installed": installed,
                "install": hint,
                "description": spec.description,
            }
        )
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows) + 2
    for r in rows:
        mark = "installed" if r["installed"] else "not installed"
        default = "  (default)" if r["default"] else ""
        aliases = f"  aliases: {', '.join(r['aliases'])}" if r["aliases"] else ""
        print(f"{r['name']:<{width}}{mark}{default}{aliases}")
        print(f"{'':<{width}}{r['description']}")
        if not r["installed"]:
            print(f"{'':<{width}}install: {r['install']}")
    return 0


def _installed(distribution: str) -> bool:
    from importlib import metadata

    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def _verify(as_json: bool) -> int:
    from lumenocr.errors import ModelChecksumError, ModelNotFoundError
    from lumenocr.zoo import locate

    results = []
    checked: dict[str, dict] = {}
    for spec in _specs():
        for ref in _files(spec):
            key = f"{ref.distribution}/{ref.path}@{ref.sha256}"
            if key in checked:  # shared by several models: hash it once
                results.append({**checked[key], "model": spec.name})
                continue
            entry = {"model": spec.name, "file": f"{ref.distribution}/{ref.path}"}
            try:
                entry["path"] = str(locate(ref, verify=True))
                entry["status"] = "ok"
            except ModelChecksumError as e:
                entry["status"], entry["message"] = "mismatch", str(e)
            except ModelNotFoundError as e:
                # A package that is installed but lacks the file is a broken install, not an absent one.
                status = "missing" if _installed(ref.distribution) else "not installed"
                entry["status"], entry["message"] = status, str(e)
            checked[key] = entry
            results.append(entry)
    bad = [r for r in results if r["status"] in ("mismatch", "missing")]
    if as_json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(f"{r['status']:<14}{r['model']:<16}{r.get('path', r['file'])}")
        for r in bad:
            print(f"lumenocr models: {r['message']}", file=sys.stderr)
        n_ok = sum(r["status"] == "ok" for r in checked.values())
        print(f"{n_ok} file(s) verified, {len({r['message'] for r in bad})} bad", file=sys.stderr)
    return 1 if bad else 0


def run(args) -> int:
    return _verify(args.json) if args.action == "verify" else _list(args.json)
