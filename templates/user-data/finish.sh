systemctl enable --now docker
echo "swarm-aws: node ready for bootstrap"
