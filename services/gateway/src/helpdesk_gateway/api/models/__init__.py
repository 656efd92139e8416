"""What the REST API answers: one pydantic model per resource of docs/api-conventions.md.

These models are the contract: the OpenAPI document describes every answer with them, and
the end-to-end suite checks each answer it receives against that document. They are
built from the services' answers with ``model_construct`` — the services' data is
trusted, so nothing is validated twice — and FastAPI writes them to JSON in pydantic's
Rust core (see ``api.shapes.ApiRoute``; bench/RESULTS.md has the cost).
"""
