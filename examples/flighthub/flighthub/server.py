"""`examples/flighthub/run`: serves the application in the foreground."""

import argparse
import sys

from werkzeug.serving import make_server

from .app import create_app
from .store import Settings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="run", description="Serves the flighthub example (DESIGN.md §12).")
    parser.add_argument("--data", required=True, help="folder for the tables (and the default lock database)")
    parser.add_argument("--port", required=True, type=int, help="TCP port to listen on (0: any free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--locks", help="lock manager URL (default: sqlite:DATA/locks.db)")
    parser.add_argument("--session-ttl", type=float, default=Settings.session_ttl_s,
                        help="seconds an edit session lasts unless its request asks for less (default 300)")
    parser.add_argument("--compact-interval", type=float, default=Settings.compact_interval_s,
                        help="seconds between compactions of the seats table (default 2; 0: never)")
    args = parser.parse_args(argv)
    app = create_app(args.data, args.locks,
                     Settings(session_ttl_s=args.session_ttl, compact_interval_s=args.compact_interval))
    app.config["store"].start_maintenance()
    server = make_server(args.host, args.port, app, threaded=True)
    # The port line is what scripts wait for (it names the port chosen for --port 0).
    print(f"flighthub listening on http://{args.host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
