"""kombu's filesystem transport (the broker of `make run`), with messages that appear whole.

kombu writes a message into its final name and locks it with flock, which the reading side
never takes: a worker polling the folder can move the file away while it is still empty and
die on the JSON it cannot parse (seen when the web process queued a task while the worker
polled). Here each message is written under a name the reader skips and renamed into place,
which is atomic within a folder. Selected by config/settings/local.py for filesystem:// URLs.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # "<name>.part": its suffix after the first dot is not "<queue>.msg", so no reader
        # takes it before it is complete.
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as error:
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
