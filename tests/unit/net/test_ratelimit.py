import multiprocessing
import time

from sovereign.net.ratelimit import IntervalLock

INTERVAL = 0.4


def _worker(path, count, queue):
    lock = IntervalLock(path, INTERVAL)
    for _ in range(count):
        with lock.slot():
            queue.put(time.time())
            time.sleep(0.01)


def test_slots_are_spaced_across_processes(tmp_path):
    path = tmp_path / "rate.lock"
    queue = multiprocessing.get_context("fork").Queue()
    procs = [
        multiprocessing.get_context("fork").Process(target=_worker, args=(path, 3, queue))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    starts = sorted(queue.get() for _ in range(9))
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= INTERVAL  # each start waits for the previous request's end + interval


def test_first_slot_does_not_wait(tmp_path):
    waits = []
    lock = IntervalLock(tmp_path / "rate.lock", 3.0, sleep=waits.append)
    with lock.slot():
        pass
    assert waits == []
    with lock.slot():
        pass
    assert len(waits) == 1 and 2.9 < waits[0] <= 3.0
