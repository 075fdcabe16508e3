from watchcli.cli import main

main()
