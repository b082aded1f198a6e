"""What review announces to the stages after it, which it does not know (the layer map:
metrics comes after review, so review cannot call it).

`label_changed` is sent with `run_id` inside the transaction that changed a label, a revision or
a gold label of the run. A receiver that must see the committed rows defers its work with
`transaction.on_commit`, so a rolled-back change announces nothing.
"""
from django.dispatch import Signal

label_changed = Signal()
