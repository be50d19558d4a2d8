"""``run_batch`` end to end on tiny virtual patients: phantom -> quantify -> dosimetry -> plan.

Two 48^3 noise-free patients with one cycle keep the whole chain to seconds; the local
cluster is a LocalCluster of the executor's own.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from theratrial.errors import TableError
from theratrial.jobs._batch_manifest import BatchItem, read_manifest, task_key
from theratrial.jobs.batch import run_batch
from theratrial.store import connect, session_scope
from theratrial.store.models_batch import BatchTaskRow

TRIAL = "NCT01842165"


def _rows(url: str) -> list[tuple[str, str, str, int]]:
    engine = connect(url)
    with session_scope(engine) as session:
        rows = session.execute(
            select(BatchTaskRow.key, BatchTaskRow.state, BatchTaskRow.finished_at,
                   BatchTaskRow.attempts).order_by(BatchTaskRow.key)
        ).all()  # fmt: skip
    engine.dispose()
    return [(r[0], r[1], str(r[2]), r[3]) for r in rows]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Two phantoms written by ``run_batch(task="phantom")`` on 2 local workers."""
    root = tmp_path_factory.mktemp("batch")
    url = f"sqlite:///{root / 'batch.sqlite'}"
    manifest = root / "phantoms.csv"
    manifest.write_text(
        "patient_id,source,grid,cycles,noise\nVP-000011,11,48,1,false\nVP-000012,12,48,1,false\n"
    )
    report = run_batch(manifest, task="phantom", db=url, workers=2)
    assert report.as_json()["done"] == 2, report
    return root, url


def test_phantom_batch_writes_patients_and_rerun_skips(cohort: tuple[Path, str]) -> None:
    root, url = cohort
    assert (root / "VP-000011" / "truth.json").is_file()
    assert not list(root.glob(".*partial"))  # nothing half-written is left
    before = _rows(url)
    again = run_batch(root / "phantoms.csv", task="phantom", db=url, workers=1)
    assert again.as_json()["skipped"] == 2
    assert [t.state for t in again.tasks] == ["skipped", "skipped"]
    assert _rows(url) == before  # no row changed


def test_chain_quantify_dosimetry_plan(cohort: tuple[Path, str]) -> None:
    root, url = cohort
    m = root / "chain.csv"
    m.write_text(
        "patient_id,source,study,trial\n"
        "VP-000011,VP-000011,dicom/pet_ga68,\n"
        "VP-000012,VP-000012,dicom/pet_ga68,\n"
    )
    q = run_batch(m, task="quantify", db=url)
    assert q.as_json()["failed"] == 0, q
    d = root / "dosimetry.csv"
    d.write_text(
        f"patient_id,source,trial\nVP-000011,VP-000011,{TRIAL}\nVP-000012,VP-000012,{TRIAL}\n"
    )
    dose = run_batch(d, task="dosimetry", db=url)
    assert dose.as_json()["failed"] == 0, dose
    p = root / "plan.csv"
    p.write_text(
        f"patient_id,source,trial\nVP-000011,VP-000011,{TRIAL}\nVP-000012,VP-000012,{TRIAL}\n"
    )
    plan = run_batch(p, task="plan", db=url)
    assert plan.as_json()["done"] == 2, plan
    assert run_batch(p, task="plan", db=url).as_json()["skipped"] == 2
    engine = connect(url)
    with session_scope(engine) as session:
        stored = session.scalars(select(BatchTaskRow).where(BatchTaskRow.task == "plan")).all()
        assert all(r.result and "limits" in r.result for r in stored)
    engine.dispose()


def test_a_failing_task_does_not_stop_the_others_and_is_redone(
    cohort: tuple[Path, str], tmp_path: Path
) -> None:
    root, url = cohort
    m = tmp_path / "q.csv"
    m.write_text(
        f"patient_id,source,study\nVP-000011,{root / 'VP-000011'},dicom/pet_ga68\n"
        f"VP-000099,{tmp_path / 'missing'},\n"
    )
    first = run_batch(m, task="quantify", db=url)
    states = {t.patient_id: t for t in first.tasks}
    assert states["VP-000099"].state == "failed"
    assert states["VP-000099"].error
    assert states["VP-000099"].attempts == 1  # an input error is not retried
    assert states["VP-000011"].state in ("done", "skipped")
    (tmp_path / "missing").mkdir()
    second = run_batch(m, task="quantify", db=url)
    assert {t.patient_id: t.state for t in second.tasks}["VP-000011"] == "skipped"
    assert {t.patient_id: t.state for t in second.tasks}["VP-000099"] == "failed"  # redone


def test_a_deleted_phantom_folder_is_written_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.sqlite'}"
    m = tmp_path / "m.csv"
    m.write_text("patient_id,source,grid,cycles,noise\nVP-000021,21,16,1,false\n")
    folder = tmp_path / "VP-000021"
    assert run_batch(m, task="phantom", db=url, workers=1).as_json()["done"] == 1
    assert run_batch(m, task="phantom", db=url, workers=1).as_json()["skipped"] == 1
    shutil.rmtree(folder)
    again = run_batch(m, task="phantom", db=url, workers=1)
    assert [t.state for t in again.tasks] == ["done"]  # noticed, not skipped
    assert (folder / "truth.json").is_file()
    before = _rows(url)
    assert run_batch(m, task="phantom", db=url, workers=1).as_json()["skipped"] == 1
    assert _rows(url) == before


def test_device_is_not_part_of_the_key_but_reaches_the_task(tmp_path: Path) -> None:
    item = BatchItem("VP-000001", str(tmp_path), {"device": "cpu"})
    assert task_key("dosimetry", item) == task_key("dosimetry", replace(item, options={}))
    url = f"sqlite:///{tmp_path / 'b.sqlite'}"
    m = tmp_path / "m.csv"
    (tmp_path / "patient").mkdir()
    m.write_text("patient_id,source,device\nVP-000001,patient,tpu\n")
    (task,) = run_batch(m, task="dosimetry", db=url, workers=1).tasks
    assert task.state == "failed"
    assert task.error is not None
    assert "unknown device 'tpu'" in task.error  # the manifest's device reached the worker


def test_key_changes_with_inputs(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "a.dcm").write_bytes(b"1")
    item = BatchItem("VP-000001", str(folder))
    key = task_key("quantify", item)
    assert key == task_key("quantify", item)
    (folder / "b.dcm").write_bytes(b"22")
    assert key != task_key("quantify", item)
    assert key != task_key("dosimetry", item)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("patient_id,seed\nVP-000001,1\n", "source"),
        ("patient_id,source\nVP-000001,x\n", "source"),
        ("patient_id,source\nVP-000001,1\nVP-000001,2\n", "patient_id"),
        ("patient_id,source,colour\nVP-000001,1,red\n", "colour"),
    ],
)
def test_bad_manifest_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    m = tmp_path / "m.csv"
    m.write_text(text)
    with pytest.raises(TableError) as err:
        read_manifest(m, task="phantom")
    assert err.value.field == field
    assert str(m) in str(err.value)


def test_yaml_manifest(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text("- {patient_id: VP-000001, source: 3, grid: 48}\n")
    (item,) = read_manifest(m, task="phantom")
    assert (item.source, dict(item.options)) == ("3", {"grid": "48"})


def test_a_result_the_store_refuses_is_reported_with_the_stores_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task ran, but its rows were refused (e.g. an administration dated after today):
    the report and the batch row carry that reason, not a bare 'failed'."""
    from theratrial.errors import ParameterError
    from theratrial.jobs import batch as batch_module
    from theratrial.jobs._batch_tasks import TaskOutcome
    from theratrial.store import connect, session_scope
    from theratrial.store.models_batch import BatchTaskRow

    def refuse(*_: object) -> None:
        raise ParameterError("administration date 2027-01-22 is after today", field="date")

    monkeypatch.setattr(batch_module, "_store_rows", refuse)
    engine = connect(f"sqlite:///{tmp_path / 'b.sqlite'}")
    item = BatchItem("VP-000009", "9")
    out = batch_module._write(
        engine, "dosimetry", item, TaskOutcome("VP-000009", "k9", "done", 1.0), 1
    )
    report = batch_module._report(out, 1)
    assert report.state == "failed"
    assert report.error is not None
    assert "after today" in report.error
    with session_scope(engine) as session:
        row = session.get(BatchTaskRow, "k9")
        assert row is not None
        assert row.state == "failed"
        assert "after today" in (row.error or "")
    engine.dispose()
