from docanalyzer.cli import main

main()
