"""python -m jmapkit"""

from jmapkit.cli import main

main()
