"""The citizen portal: citizens look up their appointment at the municipal front office.

Reads the appointments from PostgreSQL over its Unix socket, as the service's own
database role (peer authentication: no password exists to leak). Read only.
"""

import os
from contextlib import closing

import psycopg2
from flask import Flask, abort, jsonify

DATABASE = os.environ.get("CITIZEN_PORTAL_DATABASE", "citizen_portal")
COLUMNS = ("reference", "service", "counter", "starts_at", "citizen_initials")

app = Flask(__name__)


def query(sql, params=()):
    with closing(psycopg2.connect(dbname=DATABASE)) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def as_record(row):
    record = dict(zip(COLUMNS, row, strict=True))
    record["starts_at"] = record["starts_at"].isoformat()
    return record


@app.get("/")
def index():
    (count,) = query("SELECT count(*) FROM appointments")[0]
    return f"<!doctype html><title>Afspraken</title><h1>Afspraken</h1><p>{count} afspraken gepland.</p>\n"


@app.get("/api/appointments/<reference>")
def appointment(reference):
    rows = query(f"SELECT {', '.join(COLUMNS)} FROM appointments WHERE reference = %s", (reference,))
    if not rows:
        abort(404)
    return jsonify(as_record(rows[0]))
