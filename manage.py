#!/usr/bin/env python
from schoolbrug.cli import main

if __name__ == "__main__":
    main()
