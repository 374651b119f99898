# hello: prints one line -- measures start-up and shut-down only.
print("hello")
