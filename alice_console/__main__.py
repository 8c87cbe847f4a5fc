from alice_console.cli import main

raise SystemExit(main())
