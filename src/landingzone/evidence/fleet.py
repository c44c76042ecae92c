"""index.html across the fleet: each municipality's latest compliance and its drift since the run before.

Reads evidence_root/<municipality>/<ident>/results.json. Drills are left out of the compliance
figures: they hold no control results, and the latest compliance must come from a run that
checked controls. Every run, drills included, is listed with the state of its signature,
checked against the fleet CA (<fleet>/pki/ca.crt, beside the evidence root).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from landingzone.evidence.charts import compliance_bars
from landingzone.evidence.drift import Drift, compute_drift
from landingzone.evidence.html_page import esc, page
from landingzone.evidence.signature_state import BROKEN, SignatureState, load_fleet_ca, signature_state
from landingzone.evidence.summary import LEVELS, percent
from landingzone.evidence.write import REPORT_FILE, RESULTS_FILE

INDEX_FILE = "index.html"
CONTROL_RUN_KINDS = ("audit", "apply", "plan")


@dataclass
class MunicipalityState:
    name: str
    latest: dict | None = None
    latest_dir: Path | None = None
    drift: Drift | None = None
    problem: str = ""


def _control_runs(directory: Path) -> tuple[list[tuple[dict, Path]], list[str]]:
    runs, unreadable = [], []
    for results_file in sorted(directory.glob(f"*/{RESULTS_FILE}")):
        try:
            document = json.loads(results_file.read_text(encoding="utf-8"))
            if document["run"]["kind"] in CONTROL_RUN_KINDS:
                runs.append((document, results_file.parent))
        except (OSError, ValueError, KeyError, TypeError):
            unreadable.append(results_file.parent.name)
    # Chronological by the end of the run; the ident breaks ties and is otherwise opaque.
    runs.sort(key=lambda item: (item[0]["run"]["finished"], item[0]["run"]["ident"]))
    return runs, unreadable


def municipality_state(directory: Path) -> MunicipalityState:
    state = MunicipalityState(name=directory.name)
    runs, unreadable = _control_runs(directory)
    if unreadable:
        state.problem = f"unreadable results in: {', '.join(unreadable)}"
    if runs:
        state.latest, state.latest_dir = runs[-1]
    if len(runs) > 1:
        state.drift = compute_drift(runs[-2][0]["results"], runs[-1][0]["results"])
    return state


def run_signatures(evidence_root: Path, ca_path: Path | None = None) -> list[tuple[str, str, SignatureState]]:
    """(municipality, ident, state) for every stored run, in name order."""
    ca = load_fleet_ca(ca_path or evidence_root.parent / "pki" / "ca.crt")
    return [
        (run.parent.name, run.name, signature_state(run, ca))
        for run in sorted(p.parent for p in evidence_root.glob(f"*/*/{RESULTS_FILE}"))
    ]


def fleet_index(evidence_root: Path, ca_path: Path | None = None) -> Path:
    evidence_root = Path(evidence_root)
    # A fleet whose every run crashed before writing evidence still gets its (empty) index.
    evidence_root.mkdir(parents=True, exist_ok=True)
    states = [municipality_state(d) for d in sorted(evidence_root.iterdir()) if d.is_dir()]
    index = evidence_root / INDEX_FILE
    index.write_text(render_index(states, evidence_root, run_signatures(evidence_root, ca_path)), encoding="utf-8")
    return index


def _signatures(runs: list[tuple[str, str, SignatureState]]) -> str:
    broken = sum(state.state == BROKEN for _, _, state in runs)
    rows = "".join(
        f'<tr class="run-signature" data-state="{esc(state.state)}"><th>{esc(municipality)}</th>'
        f'<td><a href="{esc(municipality)}/{esc(ident)}/report.html">{esc(ident)}</a></td>'
        f'<td class="{"expired" if state.state == BROKEN else ""}">{esc(state.state)}</td>'
        f'<td class="small">{esc(state.detail)}</td></tr>'
        for municipality, ident, state in runs
    )
    heading = f"Runs and their signatures ({broken} broken)" if broken else "Runs and their signatures"
    return (
        f'<section id="signatures"{" class=alert" if broken else ""}><h2>{esc(heading)}</h2>'
        "<p class=\"small\">Each run's manifest.sha256 is signed with the fleet's evidence-signing key; "
        "signed means the signature holds under the fleet CA and every file matches the manifest. "
        "<code>landingzone evidence verify</code> checks a run in full.</p>"
        "<details><summary>every run</summary>"
        '<table id="run-signatures"><thead><tr><th>municipality</th><th>run</th><th>signature</th>'
        f"<th>detail</th></tr></thead><tbody>{rows}</tbody></table></details></section>"
    )


def _drift_cell(drift: Drift | None) -> str:
    if drift is None:
        return "<td>first run</td>"
    lines = [
        f'<span class="drift-worse">{len(drift.went_failing)} pass → fail</span>',
        f'<span class="drift-better">{len(drift.went_passing)} fail → pass</span>',
    ]
    changes = [("pass → fail", pair) for pair in drift.went_failing] + [("fail → pass", p) for p in drift.went_passing]
    details = ""
    if changes:
        items = "".join(
            f"<li>{esc(way)}: {esc(host)} <code>{esc(control)}</code></li>" for way, (host, control) in changes
        )
        details = f"<details><summary>which controls</summary><ul>{items}</ul></details>"
    return f'<td class="drift">{"<br>".join(lines)}{details}</td>'


def _row(state: MunicipalityState, root: Path) -> str:
    if state.latest is None:
        note = state.problem or "no audit, plan or apply run yet"
        return f'<tr class="municipality"><th>{esc(state.name)}</th><td colspan="8">{esc(note)}</td></tr>'
    document = state.latest
    summary = document["summary"]
    link = (state.latest_dir / REPORT_FILE).relative_to(root).as_posix()
    not_reached = summary["hosts_not_reached"]
    reached_cell = (
        f'<td class="expired">{len(not_reached)}: {esc(", ".join(not_reached))}</td>' if not_reached else "<td>0</td>"
    )
    levels = "".join(f'<td class="num">{esc(percent(summary["by_level"][lvl]["compliance"]))}</td>' for lvl in LEVELS)
    problem = f'<br><span class="small expired">{esc(state.problem)}</span>' if state.problem else ""
    return (
        f'<tr class="municipality" data-municipality="{esc(state.name)}">'
        f"<th>{esc(document['municipality'].get('display_name') or state.name)}"
        f'<br><span class="small">NIS {esc(document["municipality"]["nis_code"])}</span></th>'
        f'<td><a href="{esc(link)}">{esc(document["run"]["kind"])} {esc(document["run"]["ident"])}</a>'
        f'<br><span class="small">{esc(document["run"]["finished"])}</span>{problem}</td>'
        f'<td class="num compliance-cell"><b>{esc(percent(summary["overall"]["compliance"]))}</b></td>'
        f"{levels}{reached_cell}{_drift_cell(state.drift)}</tr>"
    )


def render_index(states: list[MunicipalityState], root: Path, runs: list | None = None) -> str:
    with_runs = [state for state in states if state.latest is not None]
    chart = compliance_bars(
        [
            (s.latest["municipality"].get("display_name") or s.name, s.latest["summary"]["overall"]["compliance"])
            for s in with_runs
        ]
    )
    level_heads = "".join(f'<th class="num">{esc(level)}</th>' for level in LEVELS)
    rows = "".join(_row(state, root) for state in states)
    body = (
        "<header><h1>Landing zone: the fleet</h1>"
        f'<p class="meta"><span>{len(states)} municipalities</span><span>{len(with_runs)} with results</span></p>'
        "</header>"
        '<section id="fleet"><h2>Compliance per municipality (latest run)</h2>'
        f"{chart}"
        '<table id="municipalities"><thead><tr><th>municipality</th><th>latest run</th>'
        f'<th class="num">compliance</th>{level_heads}<th>hosts not reached</th><th>since the run before</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
        '<p class="small">Compliance is (pass + fixed) / (pass + fixed + fail + error) over the hosts reached; '
        "drift compares each control on each host with the municipality's previous audit, plan or apply.</p>"
        "</section>"
        f"{_signatures(runs or [])}"
    )
    return page("Landing zone: the fleet", body)
