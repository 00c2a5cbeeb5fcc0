"""`python -m helpers.gateway`: the standalone gateway (see helpers.gateway.cli)."""

from .cli import main

raise SystemExit(main())
