#!/usr/bin/env python
from steerdesk.cli import main

if __name__ == "__main__":
    main()
