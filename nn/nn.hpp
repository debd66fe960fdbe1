// nn: modules, layers, losses, optimizers, data (see nn/ files).
#pragma once
