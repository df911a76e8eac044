"""Demo data: fill the blank templates as cadres would and write a realistic demo inbox."""
