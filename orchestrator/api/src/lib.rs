//! Wire types of the swarmd orchestrator: nodes, services, tasks and their specs and states.
