"""`python -m ketnghia_analysis` is the `ketnghia` command."""

from ketnghia_analysis.cli import main

raise SystemExit(main())
