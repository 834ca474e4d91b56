def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running robustness tests (concurrency, faults); part of make test")
