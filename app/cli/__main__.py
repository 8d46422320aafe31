from app.cli import main

if __name__ == "__main__":  # guarded: the model process (spawn) imports the main module again
    main()
