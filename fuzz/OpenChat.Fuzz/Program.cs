using OpenChat.Fuzz;

return FuzzCommand.Execute(args, Console.Out, Console.Error);
