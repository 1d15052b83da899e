"""Every change to a request: cases.py (the status machine), fulfilment.py (tasks in systems,
legal holds, Art. 19 notices), letters.py (what the requester is told)."""
