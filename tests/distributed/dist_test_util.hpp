// Shared by the distributed tests (tests/distributed/): the group of every rank of the job,
// made once by main.cpp. Every rank runs every test case in the same order, so a test may
// call collectives freely; it must not make one depend on a rank's own failures.
#pragma once

#include "nn/distributed/mpi_process_group.hpp"
#include "nn/distributed/process_group.hpp"

tg::distributed::ProcessGroup& test_group();
