"""Helpers the tests share (fixtures live in conftest.py files; what benches share too is
in devtools/)."""
