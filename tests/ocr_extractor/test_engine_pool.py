"""EnginePool: several engines behind one, each call on a free one. The engines here are test doubles that record
overlap (the real engines' reading is covered by the service tests); what is tested is the pool's scheduling."""

import threading
import time

import numpy as np

from ocr_extractor.core.types import RawPage
from ocr_extractor.models.engines import EnginePool
from ocr_extractor.settings import OcrExtractorSettings


class SlowEngineDouble:
    name = "double"

    def __init__(self, busy: list[int], lock: threading.Lock) -> None:
        self.busy, self.lock, self.calls, self.inside = busy, lock, 0, False

    def recognize(self, image: np.ndarray) -> RawPage:
        assert not self.inside, "an engine was given two calls at once"
        self.inside = True
        with self.lock:
            self.busy[0] += 1
            self.busy[1] = max(self.busy[1], self.busy[0])
        time.sleep(0.05)
        with self.lock:
            self.busy[0] -= 1
        self.calls += 1
        self.inside = False
        return RawPage(width=image.shape[1], height=image.shape[0], lines=())

    def describe(self) -> dict:
        return {"engine": "double"}


def test_a_pool_of_two_runs_two_calls_at_once_and_never_two_on_one_engine() -> None:
    busy, lock = [0, 0], threading.Lock()
    engines = [SlowEngineDouble(busy, lock), SlowEngineDouble(busy, lock)]
    pool = EnginePool(engines)
    page = np.zeros((8, 8, 3), np.uint8)
    threads = [threading.Thread(target=pool.recognize, args=(page,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert busy[1] == 2 and sum(e.calls for e in engines) == 8 and all(e.calls for e in engines)
    assert pool.describe() == {"engine": "double", "workers": 2}


def test_the_pool_holds_one_engine_per_compute_slot_unless_set(monkeypatch) -> None:
    monkeypatch.setattr("iris_common.threads.available_cores", lambda: 4)
    monkeypatch.delenv("OCR_WORKERS", raising=False)
    monkeypatch.setenv("IRIS_CPU_THREADS", "2")
    assert OcrExtractorSettings().engine_count == 2  # 4 cores / 2 threads
    monkeypatch.setenv("OCR_WORKERS", "1")
    assert OcrExtractorSettings().engine_count == 1
