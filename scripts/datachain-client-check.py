#!/usr/bin/env python3
"""datachain's `datachain job ...` commands, replayed with the standard library only.

For checking the emulator (or any Studio) by hand where the datachain package cannot be
installed. Each call is sent as datachain's StudioClient sends it
(src/datachain/remote/studio.py): `Authorization: token <t>`, team_name merged into the
query of a GET and into the JSON body of a POST (and into the query of an upload), and each
reply read as datachain reads it: a listing iterated as a list of dicts, `.get(...)` on
each. The commands print what datachain's src/datachain/studio.py prints.

Environment: DATACHAIN_STUDIO_URL, DATACHAIN_STUDIO_TOKEN, DATACHAIN_STUDIO_TEAM.
Usage:
  datachain-client-check.py ls [--status S] [--limit N]
  datachain-client-check.py run FILE [--files F ...] [--cron EXPR] [--start-time ISO] [--priority N] [--cluster NAME]
  datachain-client-check.py cancel JOB_ID
  datachain-client-check.py clusters
Not part of `npm test`: the project's tests do not depend on Python.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone


class Response:
    def __init__(self, data, ok, message, status):
        self.data, self.ok, self.message, self.status = data, ok, message, status


class StudioClient:
    def __init__(self):
        self.url = os.environ.get("DATACHAIN_STUDIO_URL", "https://studio.datachain.ai").rstrip("/") + "/api"
        self.token = os.environ["DATACHAIN_STUDIO_TOKEN"]
        self.team = os.environ["DATACHAIN_STUDIO_TEAM"]

    def _exchange(self, method, url, body, headers):
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _response(self, status, content):
        # As datachain: requests' `ok` is a status below 400; a body that is not JSON is {}.
        ok = status < 400
        try:
            data = json.loads(content.decode("utf-8"))
        except json.decoder.JSONDecodeError:
            data = {}
        if not ok:
            message = f"Not authorized for the team {self.team}" if status == 403 else data.get("message", "")
        else:
            message = ""
        return Response(data, ok, message, status)

    def _send_request(self, route, data, method="POST"):
        headers = {"Content-Type": "application/json", "Authorization": f"token {self.token}"}
        url = f"{self.url}/{route}"
        body = None
        if method == "GET":
            # requests drops params whose value is None.
            params = {k: v for k, v in {**data, "team_name": self.team}.items() if v is not None}
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        else:
            body = json.dumps({**data, "team_name": self.team}).encode("utf-8")
        status, content = self._exchange(method, url, body, headers)
        return self._response(status, content)

    def _send_multipart_request(self, route, files, params=None):
        boundary = uuid.uuid4().hex
        parts = []
        for field, (filename, fileobj, content_type) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode("utf-8")
                + fileobj.read()
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode("utf-8")
        query = urllib.parse.urlencode({**(params or {}), "team_name": self.team})
        headers = {"Authorization": f"token {self.token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, content = self._exchange("POST", f"{self.url}/{route}?{query}", body, headers)
        return self._response(status, content)

    def upload_file(self, file_obj, file_name):
        return self._send_multipart_request("datachain/jobs/files", {"file": (file_name, file_obj, "application/octet-stream")})

    def create_job(self, query, query_type, environment=None, workers=None, query_name=None, rerun_from_job_id=None,
                   reset=False, files=None, python_version=None, requirements=None, repository=None, priority=None,
                   cluster=None, start_time=None, cron=None, credentials_name=None):
        data = {
            "query": query,
            "query_type": query_type,
            "environment": environment,
            "workers": workers,
            "query_name": query_name,
            "rerun_from_job_id": rerun_from_job_id,
            "reset": reset,
            "files": files,
            "python_version": python_version,
            "requirements": requirements,
            "repository": repository,
            "priority": priority,
            "compute_cluster_name": cluster,
            "start_after": start_time,
            "cron_expression": cron,
            "credentials_name": credentials_name,
        }
        return self._send_request("datachain/jobs/", data)

    def get_jobs(self, status=None, limit=20, job_id=None):
        params = {"limit": limit}
        if status is not None:
            params["status"] = status
        if job_id is not None:
            params["job_id"] = job_id
        return self._send_request("datachain/jobs/", params, method="GET")

    def cancel_job(self, job_id):
        return self._send_request(f"datachain/jobs/{job_id}/cancel", data={}, method="POST")

    def get_clusters(self):
        return self._send_request("datachain/clusters/", {}, method="GET")


def grid(rows):
    """A plain stand-in for tabulate(rows, headers="keys", tablefmt="grid")."""
    keys = list(rows[0].keys())
    widths = [max(len(k), *(len(str(r[k])) for r in rows)) for k in keys]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(k.ljust(w) for k, w in zip(keys, widths)) + " |", line.replace("-", "=")]
    for r in rows:
        out += ["| " + " | ".join(str(r[k]).ljust(w) for k, w in zip(keys, widths)) + " |", line]
    return "\n".join(out)


def fail(message):
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


def list_jobs(client, status, limit):
    response = client.get_jobs(status, limit)
    if not response.ok:
        fail(response.message)
    jobs = response.data or []
    if not jobs:
        print("No jobs found")
        return
    rows = [
        {"ID": job.get("id"), "Name": job.get("name"), "Status": job.get("status"),
         "Created at": job.get("created_at"), "Created by": job.get("created_by")}
        for job in jobs
    ]
    print(grid(rows))


def create_job(client, args):
    query_type = "PYTHON" if args.file.endswith(".py") else "SHELL"
    with open(args.file) as f:
        query = f.read()
    file_ids = []
    for path in args.files or []:
        with open(path, "rb") as f:
            response = client.upload_file(f, os.path.basename(path))
        if not response.ok:
            fail(response.message)
        if file_id := response.data.get("id"):
            file_ids.append(str(file_id))
    start_time = args.start_time
    if args.cron and start_time is None:
        start_time = datetime.now(timezone.utc).isoformat()
    response = client.create_job(
        query=query, query_type=query_type, environment="", workers=None, query_name=os.path.basename(args.file),
        rerun_from_job_id=None, reset=False, files=file_ids, python_version=None, repository=None, requirements="",
        priority=args.priority, cluster=args.cluster, start_time=start_time, cron=args.cron, credentials_name=None,
    )
    if not response.ok:
        fail(response.message)
    if not response.data:
        fail("Failed to create job")
    job_id = response.data.get("id")
    # datachain records these in its local metastore; read them the same way.
    _ = (response.data.get("workers", 0), response.data.get("python_version"), response.data.get("parent_job_id"))
    if start_time or args.cron:
        print(f"Job {job_id} is scheduled as a task in Studio.")
        return
    print(f"Job {job_id} created")
    print("Open the job in Studio at", response.data.get("url"))
    print("=" * 40)


def cancel_job(client, job_id):
    response = client.cancel_job(job_id)
    if not response.ok:
        fail(response.message)
    print(f"Job {job_id} canceled")


def list_clusters(client):
    response = client.get_clusters()
    if not response.ok:
        fail(response.message)
    clusters = response.data or []
    if not clusters:
        print("No clusters found")
        return
    rows = [
        {"ID": c.get("id"), "Name": c.get("name"), "Status": c.get("status"), "Cloud Provider": c.get("cloud_provider"),
         "Cloud Credentials": c.get("cloud_credentials"), "Is Active": c.get("is_active"), "Is Default": c.get("default"),
         "Max Workers": c.get("max_workers")}
        for c in clusters
    ]
    print(grid(rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("ls")
    ls.add_argument("--status")
    ls.add_argument("--limit", type=int, default=20)
    run = sub.add_parser("run")
    run.add_argument("file")
    run.add_argument("--files", nargs="+")
    run.add_argument("--cron")
    run.add_argument("--start-time")
    run.add_argument("--priority", type=int, default=5)
    run.add_argument("--cluster")
    cancel = sub.add_parser("cancel")
    cancel.add_argument("id")
    sub.add_parser("clusters")
    args = parser.parse_args()
    client = StudioClient()
    if args.cmd == "ls":
        list_jobs(client, args.status, args.limit)
    elif args.cmd == "run":
        create_job(client, args)
    elif args.cmd == "cancel":
        cancel_job(client, args.id)
    else:
        list_clusters(client)


if __name__ == "__main__":
    main()
