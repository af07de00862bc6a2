from gbcs.cli import main

main()
