"""One lifecycle for every background job a row waits on: pending → running → done | failed with a reason.

`kinds` describes each kind once (ID-card OCR, face match, liveness, enrolment, contract PDFs,
provincial sync), `reconcile` ends the rows whose job was lost or ran too long (each worker, at
start and every minute), `retry` is the officer's 重试 of a failed one. Import the modules
themselves (this package re-exports nothing, so services may use `kinds` without a cycle).
"""
