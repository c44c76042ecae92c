"""Municipalities run side by side, each on its own, none stopping another.

Every lock is taken before the first job starts, so a busy municipality fails
the command at once instead of after the others ran. Each run releases its lock
as soon as it ends. Whatever goes wrong inside one run becomes that
municipality's outcome (did not finish, exit 3); the others carry on.
"""

from concurrent.futures import ThreadPoolExecutor

from landingzone.evidence import redact
from landingzone.runner import exit_codes
from landingzone.runner.job import FleetSettings, Municipality, Outcome, RunKind, run_municipality
from landingzone.runner.lock import MunicipalityLock
from landingzone.runner.stop import stop_requested


def acquire_locks(settings: FleetSettings, municipalities: list[Municipality]) -> dict[str, MunicipalityLock]:
    locks: dict[str, MunicipalityLock] = {}
    try:
        for municipality in municipalities:
            locks[municipality.name] = MunicipalityLock(settings.locks_dir, municipality.name).acquire()
    except Exception:
        for lock in locks.values():
            lock.release()
        raise
    return locks


def _run_one(
    municipality: Municipality, kind: RunKind, settings: FleetSettings, lock: MunicipalityLock, on_progress
) -> Outcome:
    try:
        if stop_requested():
            return Outcome(municipality.name, exit_codes.NOT_FINISHED, finished=False, message="not started: stopped")
        return run_municipality(municipality, kind, settings, on_progress)
    except Exception as exc:  # one municipality's crash must not end the fleet run
        message = redact(f"did not finish: {type(exc).__name__}: {exc}", municipality.secrets)
        return Outcome(municipality.name, exit_codes.NOT_FINISHED, finished=False, message=message)
    finally:
        lock.release()


def run_fleet(
    municipalities: list[Municipality], kind: RunKind, settings: FleetSettings, parallel: int, on_progress
) -> list[Outcome]:
    locks = acquire_locks(settings, municipalities)
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="municipality") as pool:
        futures = [
            pool.submit(_run_one, municipality, kind, settings, locks[municipality.name], on_progress)
            for municipality in municipalities
        ]
        return [future.result() for future in futures]
