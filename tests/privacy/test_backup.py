"""Backup while the app writes, restore into an empty database, same rows and the same roll-up; the restore drill
with the instance files, the file permissions, and damaged, cut-off or altered backups refused."""

import importlib
import importlib.util
import io
import stat
import tarfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from planner.accounts.models import User
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from planner.jobs.models import Job, JobStatus
from planner.people.models import Organisation, Person, Sector
from planner.surveys.models import SurveyUpload
from tests.conftest import make_test_app, text_of


def _rows(app) -> dict[str, list[dict]]:
    with app.app_context():
        result = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            result[table.name] = [dict(r) for r in db.session.execute(select(table).order_by(*order)).mappings()]
        return result


def _roll_up_json(app) -> bytes | None:
    if importlib.util.find_spec("planner.strategy.exporters.json") is None:
        return None
    exporter = importlib.import_module("planner.strategy.exporters.json")
    rollup = importlib.import_module("planner.strategy.rollup")
    with app.app_context():
        out = io.BytesIO()
        exporter.export(rollup.build_rollup(), out)
        return out.getvalue()


def _fresh_app(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    app = make_test_app(folder, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'db.sqlite3'}")
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def source(tmp_path):
    app = _fresh_app(tmp_path, "source")
    with app.app_context():
        from planner.demo import seed_demo

        seed_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_backup_and_restore_round_trip(source, tmp_path):
    runner = source.test_cli_runner()
    backup_file = tmp_path / "planner.backup.jsonl"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output

    target = _fresh_app(tmp_path, "target")
    result = target.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert _rows(target) == _rows(source)
    assert _rows(target)["people"], "the demo should have been restored"
    before = _roll_up_json(source)
    if before is not None:
        assert _roll_up_json(target) == before  # byte-identical JSON roll-up

    # A second restore into the now filled database is refused with a clear message.
    again = target.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert again.exit_code != 0 and "not empty" in again.output
    assert _rows(target) == _rows(source)


def test_restore_refuses_a_foreign_file(tmp_path):
    target = _fresh_app(tmp_path, "target")
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text('{"format": "something-else"}\n')
    result = target.test_cli_runner().invoke(args=["restore", str(bogus)])
    assert result.exit_code != 0 and "not a planner backup" in result.output


def test_backup_is_consistent_while_another_thread_writes(source, tmp_path):
    stop = threading.Event()
    written: list[int] = []

    def writer():
        n = 0
        with source.app_context():
            while not stop.is_set():
                n += 1
                # One transaction: an organisation and its one person. A torn snapshot would split them.
                org = Organisation(name=f"Schreibtest {n}", sector=Sector.BUSINESS)
                db.session.add(org)
                db.session.flush()
                db.session.add(Person(first_name="Schreib", last_name=f"Test {n}", email=f"writer{n}@example.org",
                                      organisation_id=org.id))
                db.session.commit()
                written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        backup_file = tmp_path / "live.jsonl"
        result = source.test_cli_runner().invoke(args=["backup", str(backup_file)])
        assert result.exit_code == 0, result.output
        at_backup = len(written)
        while len(written) < at_backup + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)

    target = _fresh_app(tmp_path, "target")
    assert target.test_cli_runner().invoke(args=["restore", str(backup_file)]).exit_code == 0
    restored = _rows(target)
    orgs = {r["name"] for r in restored["organisations"] if r["name"].startswith("Schreibtest ")}
    people = {r["last_name"] for r in restored["people"] if r["first_name"] == "Schreib"}
    assert {o.removeprefix("Schreibtest ") for o in orgs} == {p.removeprefix("Test ") for p in people}
    assert 20 <= len(orgs) < len(written)  # a snapshot from the middle of the writing
    # Rows only ever get added here: the restored ones are exactly the source's first rows.
    current = _rows(source)
    for table in ("organisations", "people"):
        assert restored[table] == current[table][: len(restored[table])]


# --- the restore drill: files, permissions, integrity ------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _instance_files(app) -> dict[str, bytes]:
    instance = Path(app.instance_path)
    return {p.relative_to(instance).as_posix(): p.read_bytes()
            for folder in ("jobs", "uploads") if (instance / folder).is_dir()
            for p in sorted((instance / folder).rglob("*")) if p.is_file()}


@pytest.fixture
def source_with_files(source):
    """The demo plus what lives in the instance folder: a job's result file, a survey upload waiting for its
    import, a running job, and two rows whose files were lost before the backup."""
    from planner.jobs.services import enqueue
    from planner.jobs.tasks import RECOUNT
    from tests.surveys import factories as survey_factories

    with source.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        job = enqueue("recount", RECOUNT, actor_id=admin.id)
        lost = enqueue("recount", RECOUNT, actor_id=admin.id)
        db.session.commit()
        survey_factories.upload(user=admin)
        gone = survey_factories.upload(user=admin)
        db.session.add(Job(kind="recount", task=RECOUNT, params={}, status=JobStatus.RUNNING, created_by_id=admin.id,
                           started_at=utcnow(), heartbeat_at=utcnow()))
        db.session.commit()
        instance = Path(source.instance_path)
        (instance / db.session.get(Job, lost.id).result_path).unlink()
        (instance / "uploads" / gone.token).unlink()
        (instance / "jobs" / str(job.id) / "left-over.pdf.part").write_bytes(b"half")
        ids = {"job": job.id, "lost": lost.id, "gone": gone.id}
    return source, ids


def test_restore_drill_backup_wipe_restore(source_with_files, tmp_path):
    source, ids = source_with_files
    folder = tmp_path / "backups"
    backup_file = folder / "planner.tar.gz"
    result = source.test_cli_runner().invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert _mode(folder) == 0o700 and _mode(backup_file) == 0o600  # only the planner's user can read it
    assert "Warning" not in result.output and "secret key" in result.output
    with tarfile.open(backup_file) as tar:
        names = tar.getnames()
        assert not [n for n in names if n.endswith(".part")] and not [n for n in names if "secret_key" in n]
    assert "Backup intact" in source.test_cli_runner().invoke(args=["restore", "--check-only", str(backup_file)]).output

    # The machine is lost: a new installation (empty database, empty instance folder) restores the file.
    target = _fresh_app(tmp_path, "target")
    result = target.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert f"job {ids['lost']}: result file missing" in result.output
    assert f"survey upload {ids['gone']}: file missing" in result.output

    before, after = _rows(source), _rows(target)
    for table in before:
        if table not in ("jobs", "survey_uploads"):
            assert after[table] == before[table], table
    assert [r["id"] for r in after["survey_uploads"]] == [r["id"] for r in before["survey_uploads"]
                                                          if r["id"] != ids["gone"]]
    source_files = {k: v for k, v in _instance_files(source).items() if not k.endswith(".part")}
    assert _instance_files(target) == source_files and source_files  # every file back, byte for byte

    with target.app_context():
        jobs = {j.id: j for j in db.session.scalars(select(Job))}
        assert jobs[ids["job"]].status == JobStatus.DONE and jobs[ids["job"]].result_path
        assert jobs[ids["lost"]].result_path is None  # no row points at a missing file
        assert "nicht in der Sicherung" in jobs[ids["lost"]].error
        running = [j for j in jobs.values() if j.id not in (ids["job"], ids["lost"])]
        assert [j.status for j in running] == [JobStatus.FAILED]  # its queue entry is not in a backup
        uploads = db.session.scalars(select(SurveyUpload)).all()
        assert uploads and all((Path(target.instance_path) / "uploads" / u.token).is_file() for u in uploads)

    # The app works: the administrator signs in (the same password) and downloads the job's result.
    client = target.test_client()
    assert client.post("/login", data={"email": "admin@example.org", "password": "planner-demo"}).status_code == 302
    download = client.get(f"/jobs/{ids['job']}/download")
    assert download.status_code == 200 and download.get_data(as_text=True).startswith("table,rows")
    download.close()
    page = text_of(client.get(f"/jobs/{ids['lost']}"))
    assert "nicht in der Sicherung" in page

    # A second restore is refused: the database is no longer empty.
    again = target.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert again.exit_code != 0 and "not empty" in again.output


@pytest.fixture
def small_backup(tmp_path):
    app = _fresh_app(tmp_path, "small")
    with app.app_context():
        from tests import factories

        admin = factories.user(role=Role.ADMIN, email="admin@example.org")
        db.session.commit()
        from planner.jobs.services import enqueue
        from planner.jobs.tasks import RECOUNT

        enqueue("recount", RECOUNT, actor_id=admin.id)
        db.session.commit()
    backup_file = tmp_path / "small.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    return backup_file


def _refused(tmp_path, damaged: Path, expected: str):
    target = _fresh_app(tmp_path, f"target-{damaged.stem}")
    result = target.test_cli_runner().invoke(args=["restore", str(damaged)])
    assert result.exit_code != 0 and "Restore refused" in result.output, result.output
    assert expected in result.output, result.output
    assert all(not rows for rows in _rows(target).values())  # nothing changed
    assert _instance_files(target) == {}
    check = target.test_cli_runner().invoke(args=["restore", "--check-only", str(damaged)])
    assert check.exit_code != 0 and "Backup damaged" in check.output
    with target.app_context():
        db.engine.dispose()


def test_a_truncated_backup_is_refused(small_backup, tmp_path):
    data = small_backup.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) // 2])
    _refused(tmp_path, cut, "damaged or incomplete")


def test_a_damaged_backup_is_refused(small_backup, tmp_path):
    data = bytearray(small_backup.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(bytes(data))
    _refused(tmp_path, broken, "damaged")


def test_an_altered_backup_is_refused(small_backup, tmp_path):
    """The compression is intact but a member no longer matches the manifest's checksum."""
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(small_backup) as src, tarfile.open(altered, "w:gz") as out:
        for member in src:
            data = src.extractfile(member).read()
            if member.name == "database.jsonl":
                data = data.replace(b"admin@example.org", b"evil!@example.org")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    _refused(tmp_path, altered, "checksum wrong: database.jsonl")


def test_restore_refuses_an_instance_folder_with_files(small_backup, tmp_path):
    target = _fresh_app(tmp_path, "occupied")
    (Path(target.instance_path) / "jobs" / "99").mkdir(parents=True)
    (Path(target.instance_path) / "jobs" / "99" / "old.csv").write_text("old")
    result = target.test_cli_runner().invoke(args=["restore", str(small_backup)])
    assert result.exit_code != 0 and "already holds files in jobs" in result.output
    assert (Path(target.instance_path) / "jobs" / "99" / "old.csv").read_text() == "old"
    assert all(not rows for rows in _rows(target).values())


def test_a_backup_into_a_folder_others_can_read_warns(source, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    result = source.test_cli_runner().invoke(args=["backup", str(shared / "b.tar.gz")])
    assert result.exit_code == 0
    assert "Warning" in result.output and "chmod 700" in result.output
    assert _mode(shared / "b.tar.gz") == 0o600


def test_without_a_file_name_the_backup_goes_to_the_instance_folder(source):
    result = source.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    folder = Path(source.instance_path) / "backups"
    (made,) = folder.glob("planner-*.tar.gz")
    assert _mode(folder) == 0o700 and _mode(made) == 0o600
