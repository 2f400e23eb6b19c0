"""HTTP endpoints, one module per area of the contract in API.md."""
