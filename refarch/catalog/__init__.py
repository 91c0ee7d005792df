"""The hardware catalog: loader and one pydantic model per kind."""
