#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: evidence_record
short_description: Add a record to a section of a run's evidence, with its verdict
description:
  - Returns O(record) as C(landingzone_evidence), which the C(landingzone) CLI collects into the run's
    C(results.json) under O(section), for the host the task ran for, and shows in C(report.html).
  - Runs on the controller only (an action plugin); nothing is sent to the host.
  - For results a play computes itself, such as the time a restore drill took. Status modules of the
    collection return their own records.
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  section:
    description:
      - The part of the evidence the record belongs to, one of the sections the collection's results schema
        (C(plugins/plugin_utils/schema/results-v2.json)) declares, such as V(backup), V(drill) or V(vpn).
    type: str
    required: true
  record:
    description:
      - The record, a mapping of field to JSON value. It is stored with O(verdict) as its C(verdict) field.
      - Never put a secret in it; evidence is meant to be read.
    type: dict
    required: true
  verdict:
    description:
      - What the record amounts to, one of the verdicts the results schema declares, V(pass), V(fail),
        V(error) or V(not_applicable). A record whose verdict is V(fail) or V(error) needs attention in the
        report and makes an audit non-compliant; the names of its other fields play no part.
      - The play works it out from the facts it recorded, for example V(fail) when an RTO was missed.
    type: str
    required: true
requirements:
  - None; it runs on the controller only
attributes:
  check_mode:
    support: full
    description: Records the same in check mode; it changes nothing anywhere.
  diff_mode:
    support: none
    description: It changes nothing, so there is no diff.
"""

EXAMPLES = r"""
- name: Record how long the restore drill took
  cyberveilig.landingzone.evidence_record:
    section: drill
    record:
      service: bevolkingsregister
      rto_minutes: 240
      achieved_seconds: 95
      rto_met: true
    verdict: pass
"""

RETURN = r"""
landingzone_evidence:
  description: The section and the record, as the CLI reads them.
  returned: success
  type: dict
  sample: {"section": "drill", "record": {"service": "bevolkingsregister", "rto_met": true, "verdict": "pass"}}
"""
