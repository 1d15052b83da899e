"""Every change to a request: intake.py (receipt, references, dates, confirmation link),
transitions.py (the status machine, asking dsr.rules which step is allowed), fulfilment.py and
callbacks.py (tasks in systems, legal holds, Art. 19 notices), letters.py (what the requester is
told), exports.py, reminders.py, digests.py, retention.py and minimisation.py (pruning closed
cases). Reads live in dsr.selectors."""
