"""Police desk (公安协作): query requests with approval, clue batches with export and feedback."""
